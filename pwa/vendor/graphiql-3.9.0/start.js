// Linli's GraphiQL: same-origin assets only, opening on Linli's example operations.
(function () {
  const examples = JSON.parse(document.getElementById("linli-examples").textContent);
  const fetcher = GraphiQL.createFetcher({ url: "/graphql" });
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      defaultTabs: examples,
      defaultQuery: examples[0].query,
      shouldPersistHeaders: false,
    })
  );
})();

// Linli's GraphiQL: same-origin assets only, opening on Linli's example operations.
(function () {
  const examples = JSON.parse(document.getElementById("linli-examples").textContent);
  // Queries and mutations over HTTP; subscriptions over graphql-transport-ws, same origin
  // (the WebSocket client is bundled in graphiql.min.js and connects on the first subscription).
  const ws = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/graphql";
  const fetcher = GraphiQL.createFetcher({ url: "/graphql", subscriptionUrl: ws });
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

// graphql-eslint over Linli's public schema (schema/schema.graphql, the export of
// `linli export-schema`) and the app's own operations (schema/operations/*.graphql, which are
// also the trusted documents). Run from the repository root: `make schema-lint` (part of
// `make test`). Rule sets: schema-recommended + schema-relay for the schema,
// operations-recommended for the operations; the deviations below each carry their reason.
import graphqlPlugin from "@graphql-eslint/eslint-plugin";

const SCHEMA = "schema/schema.graphql";
const OPERATIONS = "schema/operations/*.graphql";

// Value objects: they describe something (a count, an address, an error, a budget) and have
// no identity of their own, so a global `id` would be a lie and `node(id:)` could not fetch
// them. Objects with identity implement Node and carry `id: ID!` (the rule holds for them).
const VALUE_TYPES = [
  "PageInfo", // Relay's own
  "UserError",
  "Location",
  "ServiceStats",
  "EventKindCount",
  "MonthCount",
  "PlaceCount",
  "VolunteerHours",
  "TeamMember", // a membership row shown with the member's Volunteer id (volunteerId)
  "CertificateEntry",
  "CertificateIssuer",
  "CertificateVerification", // the public answer about a number; never the certificate
  "RateLimit", // issue 13: Query.rateLimit { limit remaining resetAt cost }
  "Change", // issue 13: a change-feed entry, pointing at its object by nodeId
];

export default [
  {
    files: ["**/*.graphql"],
    languageOptions: {
      parser: graphqlPlugin.parser,
      parserOptions: { graphQLConfig: { schema: SCHEMA, documents: OPERATIONS } },
    },
    plugins: { "@graphql-eslint": graphqlPlugin },
  },
  {
    files: ["schema/schema.graphql"],
    rules: {
      ...graphqlPlugin.configs["flat/schema-recommended"].rules,
      ...graphqlPlugin.configs["flat/schema-relay"].rules,

      // Stricter than recommended (types and root fields only): every field, argument, input
      // field and enum value is described, as tests/graphql/test_schema_descriptions.py checks.
      "@graphql-eslint/require-description": [
        "error",
        {
          types: true,
          rootField: true,
          DirectiveDefinition: true,
          FieldDefinition: true,
          InputValueDefinition: true,
          EnumValueDefinition: true,
        },
      ],

      // Payloads, connections and edges are wrappers (Relay's conventions), and value objects
      // have no identity: see VALUE_TYPES.
      "@graphql-eslint/strict-id-in-types": [
        "error",
        {
          acceptedIdNames: ["id"],
          acceptedIdTypes: ["ID"],
          exceptions: { suffixes: ["Payload", "Connection", "Edge"], types: VALUE_TYPES },
        },
      ],

      // Linli's connections page forward only (first/after with durable keyset cursors), which
      // the Relay cursor spec allows; sync clients and every screen read forward. Adding
      // `last`/`before` to each list would promise backward keyset paging we do not implement.
      "@graphql-eslint/relay-arguments": ["error", { includeBoth: false }],

      // Edges must still be proper Relay edges (cursor + node); but plain lists of other
      // things are part of the fixed contract (`Connection.nodes`, `userErrors`,
      // `Event.shifts`, …: see docs/api.md), so a list need not wrap an edge type.
      "@graphql-eslint/relay-edge-types": [
        "error",
        { listTypeCanWrapOnlyEdgeType: false, shouldImplementNode: true },
      ],
    },
  },
  {
    files: ["schema/operations/*.graphql"],
    rules: { ...graphqlPlugin.configs["flat/operations-recommended"].rules },
  },
];

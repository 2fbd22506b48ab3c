"""The rules of Linli: plain async functions over models. No GraphQL, no HTTP here."""

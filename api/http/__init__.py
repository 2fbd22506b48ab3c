"""What both faces (GraphQL and pages) share: the session cookie, the actor once per request, cross-site refusal, global ids, the response cache."""

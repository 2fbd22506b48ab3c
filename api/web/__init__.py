"""Page routes (server-rendered Jinja2), the manifest and the service worker."""

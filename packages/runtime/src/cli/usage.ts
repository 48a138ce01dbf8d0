export const USAGE = `hookyard — webhooks gateway

Usage:
  hookyard start -c FILE [--demo]     run the gateway described by FILE
  hookyard validate -c FILE           check FILE (every problem at once); prints it with secrets redacted
  hookyard migrate -c FILE            apply the history schema migrations to history.postgres.url
  hookyard reshard -c FILE            switch drained scheduler data to FILE's redis.shards (instances stopped)
  hookyard storage-format -c FILE [--upgrade]
                                      print the Redis data's storage format; --upgrade moves it to this
                                      version's newest, once every instance runs this version
  hookyard describe [CONNECTOR]       print the config reference (the runtime's keys, or one connector's)
  hookyard schema                     print the config file's JSON Schema (for editors: yaml-language-server)
  hookyard send --type TYPE [--data JSON | --data-file FILE] [--id ID] [--key KEY]
                [--url URL] [--api-key KEY]
                                      publish a test event through a running instance's ingest API
  hookyard reload [-c FILE | --url URL --api-key KEY]
                                      make a running instance re-read its config file (or send it SIGHUP):
                                      endpoints, subscriptions, event types, inbound routes and API keys
                                      change live
  hookyard secret [whsec | ed25519 | key]
                                      print a new signing secret (whsec_, default), an ed25519 key pair
                                      (whsk_ secret, whpk_ public key) or a random API key
  hookyard --version | --help

Options:
  -c, --config FILE   the config file (YAML or JSON); also $HOOKYARD_CONFIG
      --demo          also run the local demo receiver the example config points at, and print a curl to try
      --upgrade       storage-format: move the data to the newest storage format
      --url URL       base URL of the running instance (default $HOOKYARD_URL or http://127.0.0.1:8080)
      --api-key KEY   ingest API key (default $HOOKYARD_API_KEY); for reload an admin API key
                      (default $HOOKYARD_ADMIN_API_KEY, else the config file's first admin key), and
                      --url is the admin listener (default $HOOKYARD_ADMIN_URL, else the config
                      file's internal or only listener on this host, else $HOOKYARD_URL)

Exit codes: 0 ok, 1 failure, 64 usage error, 69 instance or PostgreSQL unavailable or event refused,
78 invalid config.
`;

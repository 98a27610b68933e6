"""One module per `ksbench` subcommand group; each exposes `register(subparsers)`."""

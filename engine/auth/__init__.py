"""Who is calling over HTTP: officers' passwords (argon2id hashes) and integrations' API tokens.

The users themselves and their groups stay in the configuration (engine.config); this package only stores how each
proves who they are. Nothing here decides what a user may do: the service checks that, as for the CLI.
"""

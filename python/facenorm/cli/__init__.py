"""The `facenorm` command line; one module per command, each with register(subparsers)."""

__all__ = []  # its modules are imported by path (facenorm.cli.MODULE)

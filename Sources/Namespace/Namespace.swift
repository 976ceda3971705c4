/// The namespace module: files and containers persisted in two changelogs.
public enum NamespaceModule {}

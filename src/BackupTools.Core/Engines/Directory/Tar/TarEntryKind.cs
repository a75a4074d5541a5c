namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>The entry kinds a cell archive holds; hard links, devices and fifos are never written and skipped on read.</summary>
public enum TarEntryKind { File, Directory, Symlink }

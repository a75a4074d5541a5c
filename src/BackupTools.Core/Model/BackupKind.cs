namespace BackupTools;

public enum BackupKind
{
    Full,
    Incremental,
    Differential,
    Wal,
    Binlog,
}

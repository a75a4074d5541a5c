using BackupTools.Core.Repository;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// Push-PostgresWal: ship what bt-wal-spool (the archive_command) spooled into the repository. StreamSpool: the spool is
/// pg_receivewal's folder (Receive-PostgresWal), whose newest .partial is still being written and is left alone.
/// </summary>
public sealed record WalPushRequest(
    RepositoryReference Repository,
    string Spool,
    string Cell,
    CompressionSettings? Compression,
    BackupKeyRing? Keys,
    TimeSpan LockTimeout,
    int MaxFilesPerBatch = 64,
    bool StreamSpool = false);

namespace BackupTools.Core.Engines.Redis.Rdb;

/// <summary>The bytes are not a whole RDB snapshot. Offset is where reading stopped; Truncated when the stream simply ended early.</summary>
public sealed class RdbFormatException(string message, long offset, bool truncated = false, bool checksumMismatch = false) : Exception(message)
{
    public long Offset { get; } = offset;
    public bool Truncated { get; } = truncated;
    public bool ChecksumMismatch { get; } = checksumMismatch;
}

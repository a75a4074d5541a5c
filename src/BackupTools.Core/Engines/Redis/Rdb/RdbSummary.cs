namespace BackupTools.Core.Engines.Redis.Rdb;

/// <summary>Keys in one logical database of a snapshot; Expires counts the keys that carry a TTL.</summary>
public sealed record RdbDatabase(int Index, long Keys, long Expires);

/// <summary>What a full walk of an RDB file proved and counted.</summary>
public sealed record RdbSummary(
    int Version,
    long Bytes,
    IReadOnlyList<RdbDatabase> Databases,
    IReadOnlyDictionary<string, string> Aux,
    ulong StoredChecksum,
    ulong ComputedChecksum)
{
    public long Keys => Databases.Sum(d => d.Keys);

    /// <summary>Redis writes 0 when rdbchecksum is off; files before version 5 carry none.</summary>
    public bool ChecksumPresent => Version >= 5 && StoredChecksum != 0;
}

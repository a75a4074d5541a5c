namespace BackupTools;

/// <summary>
/// One backup as listed from its manifest. Immutable; carries everything the next cmdlet in a pipeline
/// needs (repository location, ids, hashes) so `Get-Backup | Test-BackupIntegrity | Restore-Cell` just works.
/// </summary>
public sealed class BackupRecord
{
    public required string Id { get; init; }
    public required string Cell { get; init; }
    public required string Source { get; init; }
    public required string Engine { get; init; }
    public required BackupKind Kind { get; init; }
    public string? ParentId { get; init; }
    public required DateTimeOffset StartedAt { get; init; }
    public required DateTimeOffset CompletedAt { get; init; }
    public required long RawBytes { get; init; }
    public required long StoredBytes { get; init; }
    /// <summary>SHA-256 (hex) of the stored data object's bytes.</summary>
    public string Sha256 { get => _sha256.Text; init => _sha256 = new HexText(value); }
    /// <summary>SHA-256 (hex) of the data before compression and encryption.</summary>
    public string RawSha256 { get => _rawSha256.Text; init => _rawSha256 = new HexText(value); }

    // Listings hold 50,000 records: a hash kept as its 32 bytes is a third of its hex string.
    private HexText _sha256;
    private HexText _rawSha256;
    internal HexText Sha256Hex { init => _sha256 = value; }
    internal HexText RawSha256Hex { init => _rawSha256 = value; }
    public required string Compression { get; init; }
    /// <summary>Id of the key-encryption key the backup needs (after a rotation: the new key); null when the backup is not encrypted.</summary>
    public string? KeyId { get; init; }
    /// <summary>Name of that key (New-BackupKey -Name), when it has one.</summary>
    public string? KeyName { get; init; }
    /// <summary>
    /// Every key the backup needs now (empty: not encrypted). Format 1: just <see cref="KeyId"/>. Format 2 (chunked): the
    /// keys of the packs and index files its chunks sit in, which deduplication can make several; KeyId is the first.
    /// </summary>
    public string[] KeyIds { get; init; } = [];
    /// <summary>Repository location (URI) the record was read from.</summary>
    public required string Repository { get; init; }
    /// <summary>Key of the data object inside the repository (null when set: the usual backups/&lt;id&gt;/data).</summary>
    public string Location
    {
        get => _location ?? $"backups/{Id}/data";
        init => _location = value is null || value == $"backups/{Id}/data" ? null : value; // the usual key is rebuilt on demand, not held
    }

    private string? _location;
    public required string Host { get; init; }
    public required string ToolVersion { get; init; }
    public IReadOnlyDictionary<string, object?> EngineInfo
    {
        get => _engineInfo ??= _engineInfoSource?.Invoke()
            ?? (_engineInfoJson is { } json ? Core.Repository.ManifestRecords.EngineInfoOf(json) : new Dictionary<string, object?>());
        init => _engineInfo = value;
    }

    private IReadOnlyDictionary<string, object?>? _engineInfo;
    private Func<IReadOnlyDictionary<string, object?>>? _engineInfoSource;
    private byte[]? _engineInfoJson;

    /// <summary>Builds <see cref="EngineInfo"/> on first use: listings of many records rarely look at it.</summary>
    internal Func<IReadOnlyDictionary<string, object?>> EngineInfoSource { init => _engineInfoSource = value; }

    /// <summary>The engine facts as UTF-8 JSON, parsed on first use (a catalog listing keeps only these bytes).</summary>
    internal byte[]? EngineInfoJson { init => _engineInfoJson = value; }
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
    public required string Status { get; init; }
    /// <summary>Taken by a restore of the data it replaced (tag reason=safety-before-restore): a way back, not a restore point.</summary>
    public bool IsSafetyBackup { get; init; }

    public TimeSpan Duration => CompletedAt - StartedAt;

    public override string ToString() => Id;
}

namespace BackupTools;

/// <summary>What New-BackupKey made; never the key material.</summary>
public sealed record KeyInfo(string Id, string Path, DateTimeOffset CreatedAt);

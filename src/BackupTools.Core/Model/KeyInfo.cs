namespace BackupTools;

/// <summary>What New-BackupKey made (id, file, creation time; for a key pair also the public key file); never the key material.</summary>
public sealed record KeyInfo(string Id, string Path, DateTimeOffset CreatedAt)
{
    public string Kind { get; init; } = "Secret";
    public string? Name { get; init; }
    /// <summary>Key pairs: the public key file to give backup hosts (Path is the private key file).</summary>
    public string? PublicKeyPath { get; init; }
}

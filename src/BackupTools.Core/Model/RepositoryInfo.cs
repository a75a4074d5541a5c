using BackupTools.Core.Repository;

namespace BackupTools;

public sealed class RepositoryInfo
{
    public required string Location { get; init; }
    public required string Id { get; init; }
    public required int FormatVersion { get; init; }
    public required string Compression { get; init; }
    public required bool RequireEncryption { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }

    public static RepositoryInfo From(BackupRepository repository) => new()
    {
        Location = repository.Location,
        Id = repository.Config.Id,
        FormatVersion = repository.Config.FormatVersion,
        Compression = repository.Config.Defaults.Compression + (repository.Config.Defaults.CompressionLevel is { } l ? $":{l}" : ""),
        RequireEncryption = repository.Config.Defaults.RequireEncryption,
        CreatedAt = repository.Config.CreatedAt,
    };
}

using BackupTools.Core.Errors;

namespace BackupTools.Core.Pipeline.Compression;

/// <summary>Which codec and level; Level null means the codec's default (zstd 1, gzip 6).</summary>
public sealed record CompressionSettings(CompressionAlgorithm Algorithm, int? Level = null)
{
    public static CompressionSettings Default { get; } = new(CompressionAlgorithm.Zstd, 1);

    public int EffectiveLevel => Level ?? Algorithm switch
    {
        CompressionAlgorithm.Zstd => 1,
        CompressionAlgorithm.Gzip => 6,
        _ => 0,
    };

    /// <summary>
    /// A cmdlet's -Compression/-CompressionLevel: null when neither was given (the repository's default applies).
    /// A level alone is refused rather than silently dropped: levels mean different things per codec.
    /// </summary>
    public static CompressionSettings? ParseOptional(string? algorithm, int? level)
    {
        if (algorithm is not null) return Parse(algorithm, level);
        if (level is not null)
            throw new BackupInputException("CompressionLevelWithoutCompression", "CompressionLevel",
                $"level {level} was given without a compression.", "Pass -Compression zstd or -Compression gzip with it.");
        return null;
    }

    public static CompressionSettings Parse(string algorithm, int? level)
    {
        if (!Enum.TryParse<CompressionAlgorithm>(algorithm, ignoreCase: true, out var parsed))
            throw new BackupInputException("CompressionUnknown", "Compression",
                $"'{algorithm}' is not a known compression.", "Use one of: zstd, gzip, none.");
        var settings = new CompressionSettings(parsed, level);
        settings.Validate();
        return settings;
    }

    public void Validate()
    {
        if (Level is null) return;
        var (min, max) = Algorithm switch
        {
            CompressionAlgorithm.Zstd => (-7, 19),
            CompressionAlgorithm.Gzip => (1, 9),
            _ => (0, 0),
        };
        if (Level < min || Level > max)
            throw new BackupInputException("CompressionLevelOutOfRange", "CompressionLevel",
                $"level {Level} is out of range for {Algorithm}.", $"Use a level from {min} to {max}.");
    }
}

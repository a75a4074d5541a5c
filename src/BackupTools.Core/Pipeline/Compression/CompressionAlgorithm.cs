namespace BackupTools.Core.Pipeline.Compression;

public enum CompressionAlgorithm
{
    Zstd,
    Gzip,
    None,
}

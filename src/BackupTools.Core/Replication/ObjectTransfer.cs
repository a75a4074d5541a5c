using System.Buffers;
using BackupTools.Core.Pipeline.Hashing;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Replication;

/// <summary>
/// Moves one stored object between stores byte for byte (it is already compressed and encrypted, so no key
/// is needed), hashing on the way. The destination object is committed only after size and SHA-256 matched
/// the manifest, so a damaged source or an interruption never leaves a wrong object under its key.
/// </summary>
internal static class ObjectTransfer
{
    private const int BufferSize = 1 << 20;

    /// <summary>Copies and commits; returns the bytes copied. <paramref name="copied"/> is told after every buffer.</summary>
    public static long Copy(IBackupStore from, IBackupStore to, ManifestObject expected, Action<long> copied, CancellationToken cancel)
    {
        var size = from.SizeOf(expected.Key, cancel) ?? throw new StoreObjectNotFoundException(from.Location, expected.Key);
        if (size != expected.StoredBytes)
            throw ReplicationErrors.SourceDamaged(expected, from.Location, $"{size} bytes, the manifest says {expected.StoredBytes}");
        using var input = new HashingStream(from.OpenRead(expected.Key, cancel));
        using var output = to.OpenWrite(expected.Key, cancel);
        Pump(input, output, copied, cancel);
        if (input.BytesCounted != expected.StoredBytes)
            throw ReplicationErrors.SourceDamaged(expected, from.Location, $"read {input.BytesCounted} bytes, the manifest says {expected.StoredBytes}");
        if (input.HashHex != expected.Sha256)
            throw ReplicationErrors.SourceDamaged(expected, from.Location, "SHA-256 of the stored bytes differs");
        cancel.ThrowIfCancellationRequested();
        output.Commit();
        return input.BytesCounted;
    }

    /// <summary>Null when the store holds exactly the object the manifest describes, else what differs.</summary>
    public static string? Mismatch(IBackupStore store, ManifestObject expected, bool rehash, CancellationToken cancel)
    {
        var size = store.SizeOf(expected.Key, cancel);
        if (size is null) return "missing";
        if (size != expected.StoredBytes) return $"{size} bytes, the manifest says {expected.StoredBytes}";
        if (!rehash) return null;
        using var input = new HashingStream(store.OpenRead(expected.Key, cancel));
        Pump(input, Stream.Null, _ => { }, cancel);
        if (input.BytesCounted != expected.StoredBytes) return $"read {input.BytesCounted} bytes, the manifest says {expected.StoredBytes}";
        return input.HashHex == expected.Sha256 ? null : "SHA-256 of the stored bytes differs";
    }

    private static void Pump(Stream input, Stream output, Action<long> copied, CancellationToken cancel)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int n;
            while ((n = input.Read(buffer, 0, BufferSize)) > 0)
            {
                output.Write(buffer, 0, n);
                copied(n);
                cancel.ThrowIfCancellationRequested();
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

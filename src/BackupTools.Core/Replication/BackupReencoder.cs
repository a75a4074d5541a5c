using System.Buffers;
using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Replication;

/// <summary>
/// Copies a backup whose stored form cannot travel as is — a chunked (format 2) backup, or any backup going into a
/// format-2 repository — by reading its raw bytes from the source (decrypted, decompressed, every hash checked) and
/// writing them through the destination's own pipeline: re-chunked with the destination's chunk secret (a chunk the
/// destination already holds is only referenced, never uploaded again) or reassembled into single objects, encrypted
/// with the destination's key. Two repositories never share a chunk secret, so chunk references cannot be copied.
/// The copy keeps the backup's id, chain, times and raw hashes, so restores and Test-BackupIntegrity work there.
/// Streaming: memory is a few chunks. The source is verified to its last byte before an object is committed, and the
/// manifest is written last; a failure removes what the copy wrote (packs, index file, objects).
/// </summary>
internal sealed class BackupReencoder(BackupRepository source, BackupRepository destination, BackupKeyRing? sourceKeys, BackupKeyRing targetKeys)
{
    private const int BufferSize = 1 << 20;

    /// <summary>True when <paramref name="manifest"/> must be re-encoded to be copied into <paramref name="destination"/>.</summary>
    public static bool Needed(BackupManifest manifest, BackupRepository destination) => manifest.IsChunked || destination.Config.IsChunked;

    /// <summary>Writes the copy and returns its manifest (written last). <paramref name="progress"/> is told the raw bytes read.</summary>
    public BackupManifest Copy(BackupManifest manifest, Action<long> progress, CancellationToken cancel)
    {
        var compression = CompressionSettings.Parse(destination.Config.Defaults.Compression, destination.Config.Defaults.CompressionLevel);
        var plan = new BackupPlan(manifest.Cell, manifest.Source, manifest.Engine, manifest.Kind, manifest.ParentId, compression, manifest.Tags);
        using var writer = new BackupWriter(destination, plan, targetKeys, cancel, original: manifest);
        foreach (var (role, expected) in manifest.Objects)
        {
            cancel.ThrowIfCancellationRequested();
            using var output = writer.OpenObject(role);
            CopyRaw(manifest, role, expected, output, progress, cancel);
            var written = output.Complete();
            if (written.RawBytes != expected.RawBytes || written.RawSha256 != expected.RawSha256)
                throw ReplicationErrors.SourceDamaged(expected, source.Location, "the bytes written differ from the manifest's raw size/SHA-256");
        }
        return writer.Complete(manifest.EngineInfo?.DeepClone().AsObject());
    }

    /// <summary>Streams one object's raw bytes and proves them against the source manifest before the caller commits them.</summary>
    private void CopyRaw(BackupManifest manifest, string role, ManifestObject expected, Stream output, Action<long> progress, CancellationToken cancel)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            using var input = source.OpenObject(manifest, role, sourceKeys, cancel);
            int n;
            while ((n = input.Read(buffer, 0, BufferSize)) > 0)
            {
                output.Write(buffer, 0, n);
                progress(n);
                cancel.ThrowIfCancellationRequested();
            }
            input.VerifyToEnd(cancel);
        }
        catch (BackupIntegrityException e)
        {
            throw ReplicationErrors.SourceDamaged(expected, source.Location, $"{e.ErrorId}: {e.Message.TrimEnd('.')}", e);
        }
        catch (StoreObjectNotFoundException e)
        {
            throw ReplicationErrors.SourceDamaged(expected, source.Location, $"missing: {e.Message.TrimEnd('.')}", e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

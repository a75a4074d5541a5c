using BackupTools.Core.Errors;
using BackupTools.Core.Keys;
using BackupTools.Core.Pipeline;
using BackupTools.Core.Pipeline.Compression;
using BackupTools.Core.Pipeline.Encryption;
using BackupTools.Core.Pipeline.Hashing;
using BackupTools.Core.Storage;

namespace BackupTools.Core.Repository;

/// <summary>
/// The read side of the pipeline for one object: store → stored hash → decrypt → decompress → raw hash.
/// Callers read raw bytes and then call <see cref="VerifyToEnd"/>, which drains every stage and compares
/// sizes and both SHA-256 hashes with the manifest.
/// </summary>
public sealed class VerifyingReadStream : ReadOnlyForwardStream
{
    private readonly ManifestObject _expected;
    /// <summary>Null for a chunked object: each chunk is checked against its keyed id as it is read.</summary>
    private readonly HashingStream? _stored;
    private readonly HashingStream _raw;

    private VerifyingReadStream(ManifestObject expected, HashingStream? stored, HashingStream raw)
    {
        _expected = expected;
        _stored = stored;
        _raw = raw;
    }

    internal static VerifyingReadStream Open(BackupRepository repository, BackupManifest manifest, string role, BackupKeyRing? keys, CancellationToken cancel = default)
    {
        if (!manifest.Objects.TryGetValue(role, out var expected))
            throw new BackupIntegrityException("ManifestObjectMissing", $"Backup {manifest.Id} has no '{role}' object in its manifest.");
        if (manifest.IsChunkedObject(expected)) return OpenChunked(repository, expected, keys);
        var storedSize = repository.Store.SizeOf(expected.Key, cancel);
        if (storedSize is null) throw new StoreObjectNotFoundException(repository.Location, expected.Key);
        if (storedSize != expected.StoredBytes)
            throw new BackupIntegrityException("StoredSizeMismatch",
                $"{expected.Key} holds {storedSize} bytes, the manifest says {expected.StoredBytes}: the object was truncated or appended to.");
        var dataKey = expected.WrappedKey is null ? BackupDataKey.Unwrap(repository, manifest, keys) : WriterReadableObjects.Unwrap(repository, manifest, role, expected, keys);
        var stored = new HashingStream(repository.Store.OpenRead(expected.Key, cancel));
        try
        {
            Stream decrypted = dataKey is null ? stored : new SegmentedDecryptStream(stored, dataKey, leaveOpen: false);
            var algorithm = Enum.Parse<CompressionAlgorithm>(manifest.Compression.Algorithm, ignoreCase: true);
            var raw = new HashingStream(CompressionCodec.Decompress(decrypted, algorithm, leaveOpen: false));
            return new VerifyingReadStream(expected, stored, raw);
        }
        catch
        {
            stored.Dispose();
            throw;
        }
        finally
        {
            if (dataKey != null) Array.Clear(dataKey);
        }
    }

    private static VerifyingReadStream OpenChunked(BackupRepository repository, ManifestObject expected, BackupKeyRing? keys)
    {
        if (expected.Chunks is null)
            throw new BackupIntegrityException("ManifestMalformed", $"{expected.Key}: a chunked backup's object has no chunk list.");
        List<Chunked.ChunkId> ids;
        try { ids = expected.Chunks.Select(Chunked.ChunkId.Parse).ToList(); }
        catch (FormatException e) { throw new BackupIntegrityException("ManifestMalformed", $"{expected.Key}: the chunk list holds an invalid id ({e.Message}).", inner: e); }
        if (ChunkedObjectSink.ChunkListHash(ids) != expected.Sha256)
            throw new BackupIntegrityException("StoredHashMismatch", $"{expected.Key}: the chunk list does not match the manifest's sha256 (the manifest was altered).");
        var chunks = new Chunked.ChunkedReadStream(repository, keys ?? new BackupKeyRing(), ids, expected.Key);
        Chunked.ChunkedReadStream.Locate(repository.ChunkIndex, ids, expected.Key); // a lost index entry is named before any byte is read
        return new VerifyingReadStream(expected, null, new HashingStream(chunks));
    }

    public long RawBytesRead => _raw.BytesCounted;

    /// <summary>Reads whatever the caller left, then proves sizes and hashes match the manifest.</summary>
    public void VerifyToEnd(CancellationToken cancel = default)
    {
        try
        {
            var buffer = new byte[1 << 16];
            while (_raw.Read(buffer) > 0) cancel.ThrowIfCancellationRequested(); // may be most of a large object
            _stored?.CopyTo(Stream.Null); // bytes after the last frame/segment must still be counted
        }
        catch (BackupIntegrityException e) when (!e.Message.Contains(_expected.Key, StringComparison.Ordinal)) { throw Named(e); }
        catch (BackupToolsException) { throw; }
        catch (Exception e) when (e is IOException or InvalidDataException or ZstdSharp.ZstdException)
        {
            throw new BackupIntegrityException("DecompressionFailed", $"The object {_expected.Key} could not be decompressed: {e.Message}", inner: e);
        }
        if (_stored is not null && _stored.BytesCounted != _expected.StoredBytes)
            throw new BackupIntegrityException("StoredSizeMismatch",
                $"{_expected.Key}: stored size is {_stored.BytesCounted} bytes, the manifest says {_expected.StoredBytes} (truncated or appended).");
        if (_stored is not null && _stored.HashHex != _expected.Sha256)
            throw new BackupIntegrityException("StoredHashMismatch", $"{_expected.Key}: SHA-256 of the stored bytes does not match the manifest.");
        if (_raw.BytesCounted != _expected.RawBytes || _raw.HashHex != _expected.RawSha256)
            throw new BackupIntegrityException("RawHashMismatch", $"{_expected.Key}: the restored bytes do not match the manifest's raw SHA-256/size.");
    }

    public override long Position => _raw.BytesCounted;

    public override int Read(Span<byte> buffer)
    {
        try
        {
            return _raw.Read(buffer);
        }
        catch (BackupIntegrityException e) when (!e.Message.Contains(_expected.Key, StringComparison.Ordinal)) { throw Named(e); }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or ZstdSharp.ZstdException)
        {
            throw new BackupIntegrityException("DecompressionFailed", $"The object {_expected.Key} could not be decompressed: {e.Message}", inner: e);
        }
    }

    /// <summary>A lower stage's error (e.g. a segment failing authentication) with the object — so the backup id — named.</summary>
    private BackupIntegrityException Named(BackupIntegrityException e) =>
        new(e.ErrorId, $"{_expected.Key}: {e.Message}", e.RecommendedAction, e);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _raw.Dispose();
        base.Dispose(disposing);
    }
}

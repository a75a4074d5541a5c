using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using BackupTools.Core.Errors;
using BackupTools.Core.Pipeline;

namespace BackupTools.Core.Engines.S3Bucket;

/// <summary>
/// The "data" object of an S3 bucket backup: one frame per stored object — a 4-byte big-endian header length,
/// the object's entry as JSON, its bytes, then their SHA-256 (32 bytes) — and a zero length at the end. Each frame
/// describes itself, so the data object alone still tells which bytes belong to which key.
/// </summary>
public static class S3ObjectFrames
{
    private const int MaxHeader = 1 << 20;

    /// <summary>Writes one frame, copying exactly <c>entry.Size</c> bytes from <paramref name="body"/>; returns their SHA-256 (hex).</summary>
    public static string Write(Stream sink, S3ObjectEntry entry, Stream body, CancellationToken cancel)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(entry with { Sha256 = null, Holder = null }, S3BucketIndex.JsonOptions);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, header.Length);
        sink.Write(length);
        sink.Write(header);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long left = entry.Size;
        while (left > 0)
        {
            cancel.ThrowIfCancellationRequested();
            var read = body.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
                throw new BackupToolsException("S3BucketObjectTruncated", FailureKind.ResourceBusy,
                    $"'{entry.Key}' ended after {entry.Size - left} of {entry.Size} bytes while it was read.", "Nothing was recorded. Run the backup again.");
            sha.AppendData(buffer, 0, read);
            sink.Write(buffer, 0, read);
            left -= read;
        }
        var digest = sha.GetHashAndReset();
        sink.Write(digest);
        return Convert.ToHexString(digest).ToLowerInvariant();
    }

    public static void WriteEnd(Stream sink) => sink.Write(new byte[4]);

    /// <summary>
    /// Reads every frame in order. <paramref name="onObject"/> gets the entry and a stream of exactly its bytes (it may
    /// read them or not); the frame's SHA-256 is checked either way. Returns the number of frames.
    /// </summary>
    public static int Read(Stream source, Action<S3ObjectEntry, Stream> onObject, string what, CancellationToken cancel)
    {
        var frames = 0;
        Span<byte> length = stackalloc byte[4];
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            ReadExactly(source, length, what);
            var headerLength = BinaryPrimitives.ReadInt32BigEndian(length);
            if (headerLength == 0) return frames;
            if (headerLength is < 0 or > MaxHeader) throw Invalid(what, $"frame {frames + 1} has a header length of {headerLength}");
            var header = new byte[headerLength];
            ReadExactly(source, header, what);
            S3ObjectEntry entry;
            try { entry = JsonSerializer.Deserialize<S3ObjectEntry>(header, S3BucketIndex.JsonOptions) ?? throw Invalid(what, $"frame {frames + 1} has an empty header"); }
            catch (JsonException e) { throw Invalid(what, $"frame {frames + 1}'s header is not JSON ({e.Message})"); }
            using var body = new HashingSlice(source, entry.Size);
            onObject(entry, body);
            body.Drain(cancel);
            if (body.Short) throw Invalid(what, $"'{entry.Key}' ends early");
            var expected = new byte[32];
            ReadExactly(source, expected, what);
            if (!expected.AsSpan().SequenceEqual(body.Digest()))
                throw Invalid(what, $"the bytes of '{entry.Key}' do not match their SHA-256");
            frames++;
        }
    }

    private static void ReadExactly(Stream source, Span<byte> buffer, string what)
    {
        try { source.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw Invalid(what, "it ends before its end marker"); }
    }

    private static BackupIntegrityException Invalid(string what, string detail) =>
        new("S3BucketDataInvalid", $"{what} is not a whole S3 bucket backup: {detail}.");

    /// <summary>Exactly <c>length</c> bytes of the underlying stream, hashed as they pass.</summary>
    private sealed class HashingSlice(Stream inner, long length) : ReadOnlyForwardStream
    {
        private readonly IncrementalHash _sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private readonly long _length = length;
        private long _left = length;
        public bool Short { get; private set; }

        public override int Read(Span<byte> buffer)
        {
            if (_left == 0) return 0;
            var read = inner.Read(buffer[..(int)Math.Min(buffer.Length, _left)]);
            if (read == 0) { Short = true; return 0; }
            _sha.AppendData(buffer[..read]);
            _left -= read;
            return read;
        }

        public void Drain(CancellationToken cancel)
        {
            var buffer = new byte[1 << 20];
            while (_left > 0 && !Short) { cancel.ThrowIfCancellationRequested(); Read(buffer, 0, buffer.Length); }
        }

        public byte[] Digest() => _sha.GetHashAndReset();
        protected override void Dispose(bool disposing) { if (disposing) _sha.Dispose(); base.Dispose(disposing); }
        public override long Length => _length;
        public override long Position => _length - _left;
    }
}

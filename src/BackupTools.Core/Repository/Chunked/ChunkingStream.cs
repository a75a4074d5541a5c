using System.Buffers;
using BackupTools.Core.Pipeline;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>Receives the chunks a <see cref="ChunkingStream"/> cuts, in order.</summary>
public interface IChunkConsumer
{
    void Accept(ReadOnlySpan<byte> chunk);
}

/// <summary>
/// A consumer that takes over the buffer a chunk was cut in (rented from <see cref="ArrayPool{T}.Shared"/>; it returns
/// it there when done), so the chunk is not copied again on its way to another thread.
/// </summary>
public interface IChunkBufferConsumer : IChunkConsumer
{
    void Take(byte[] rented, int length);
}

/// <summary>
/// Write-only stream that cuts what is written into content-defined chunks and hands each to a consumer. Each byte
/// is copied once, into the buffer of the chunk it belongs to (at most one maximum-size chunk, 4–8 MiB): the cut
/// search runs on the caller's data, so streaming stays streaming and nothing is moved back after a cut. Dispose (or
/// <see cref="Finish"/>) hands over the last, possibly short, chunk.
/// </summary>
public sealed class ChunkingStream(ContentDefinedChunker chunker, IChunkConsumer consumer) : WriteOnlyStream
{
    private readonly int _largest = chunker.Parameters.LargestChunk;
    private byte[]? _chunk;
    private int _filled;
    private bool _finished;

    public long ChunkCount { get; private set; }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        while (!data.IsEmpty)
        {
            _chunk ??= ArrayPool<byte>.Shared.Rent(_largest);
            var cut = chunker.FindCut(data, _filled);
            var take = cut == 0 ? data.Length : cut - _filled; // no cut: all of it fits, a chunk is cut at its maximum size
            data[..take].CopyTo(_chunk.AsSpan(_filled));
            _filled += take;
            data = data[take..];
            if (cut > 0) Emit();
        }
    }

    /// <summary>Hands over the last chunk; nothing may be written afterwards.</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        if (_filled > 0) Emit();
        if (_chunk is not null) ArrayPool<byte>.Shared.Return(_chunk);
        _chunk = null;
        chunker.Reset();
    }

    private void Emit()
    {
        var chunk = _chunk!;
        var length = _filled;
        _filled = 0;
        if (consumer is IChunkBufferConsumer taker)
        {
            _chunk = null; // the consumer owns it now, also when Take throws
            taker.Take(chunk, length);
        }
        else consumer.Accept(chunk.AsSpan(0, length));
        ChunkCount++;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Finish();
        base.Dispose(disposing);
    }

    public override bool CanWrite => !_finished;
}

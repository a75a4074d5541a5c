using BackupTools.Core.Pipeline;

namespace BackupTools.Core.Repository.Chunked;

/// <summary>Receives the chunks a <see cref="ChunkingStream"/> cuts, in order.</summary>
public interface IChunkConsumer
{
    void Accept(ReadOnlySpan<byte> chunk);
}

/// <summary>
/// Write-only stream that cuts what is written into content-defined chunks and hands each to a consumer. Holds at
/// most one maximum-size chunk (8 MiB by default): streaming stays streaming. Dispose (or <see cref="Finish"/>) hands
/// over the last, possibly short, chunk.
/// </summary>
public sealed class ChunkingStream(ContentDefinedChunker chunker, IChunkConsumer consumer) : WriteOnlyStream
{
    private readonly byte[] _buffer = new byte[chunker.Parameters.LargestChunk];
    private int _filled;
    private bool _finished;

    public long ChunkCount { get; private set; }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        while (!data.IsEmpty)
        {
            var n = Math.Min(data.Length, _buffer.Length - _filled);
            data[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            data = data[n..];
            CutWhatIsComplete();
        }
    }

    private void CutWhatIsComplete()
    {
        int cut;
        while ((cut = chunker.FindCut(_buffer.AsSpan(0, _filled))) > 0)
        {
            Emit(_buffer.AsSpan(0, cut));
            _buffer.AsSpan(cut, _filled - cut).CopyTo(_buffer); // the tail is at most one write's worth
            _filled -= cut;
        }
    }

    /// <summary>Hands over the last chunk; nothing may be written afterwards.</summary>
    public void Finish()
    {
        if (_finished) return;
        _finished = true;
        if (_filled > 0) Emit(_buffer.AsSpan(0, _filled));
        _filled = 0;
        chunker.Reset();
    }

    private void Emit(ReadOnlySpan<byte> chunk)
    {
        consumer.Accept(chunk);
        ChunkCount++;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Finish();
        base.Dispose(disposing);
    }

    public override bool CanWrite => !_finished;
}

using System.Buffers;
using System.Collections.Concurrent;
using BackupTools.Core.Engines.Redis.Rdb;
using BackupTools.Core.Pipeline;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Moves a snapshot from its source (socket or file) into a sink while proving it whole: this thread reads
/// and walks the RDB (key counts, optionally the CRC-64), a second thread compresses/encrypts/stores what was read, so the
/// source is drained at network speed. A bounded queue keeps memory flat whatever the snapshot's size.
/// </summary>
internal static class SnapshotPipe
{
    private const int QueueDepth = 16;

    public static RdbSummary Run(Stream source, Stream sink, bool checksum, CancellationToken cancel)
    {
        using var queue = new BlockingCollection<(byte[] Buffer, int Length)>(QueueDepth);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var writer = Task.Factory.StartNew(() =>
        {
            try
            {
                foreach (var (buffer, length) in queue.GetConsumingEnumerable(failed.Token))
                {
                    sink.Write(buffer, 0, length);
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
            catch
            {
                failed.Cancel(); // unblocks the reader
                throw;
            }
        }, TaskCreationOptions.LongRunning);

        RdbSummary summary;
        try
        {
            var tee = new TeeStream(source, queue, failed.Token);
            summary = RdbReader.Read(tee, checksum);
            tee.Flush();
            queue.CompleteAdding();
        }
        catch (OperationCanceledException) when (writer.IsFaulted || !cancel.IsCancellationRequested)
        {
            queue.CompleteAdding();
            writer.GetAwaiter().GetResult(); // the writer's own failure is the one to report
            throw;
        }
        catch
        {
            failed.Cancel();
            try { writer.Wait(); } catch (AggregateException) { /* the read failure is the one to report */ }
            throw;
        }
        writer.GetAwaiter().GetResult();
        return summary;
    }

    /// <summary>
    /// Hands what was read to the writer thread too, gathered into 1 MiB blocks: socket reads come in tens of
    /// kilobytes, and a hand-off per read costs more in thread wake-ups (spinning, futexes) than the copy.
    /// </summary>
    private sealed class TeeStream(Stream source, BlockingCollection<(byte[], int)> queue, CancellationToken cancel) : ReadOnlyForwardStream
    {
        private const int BlockSize = 1 << 20;
        private byte[]? _block;
        private int _filled;

        public override int Read(Span<byte> buffer)
        {
            var n = source.Read(buffer);
            if (n == 0) { Flush(); return 0; }
            ReadOnlySpan<byte> rest = buffer[..n];
            while (rest.Length > 0)
            {
                _block ??= ArrayPool<byte>.Shared.Rent(BlockSize);
                var take = Math.Min(rest.Length, BlockSize - _filled);
                rest[..take].CopyTo(_block.AsSpan(_filled));
                _filled += take;
                rest = rest[take..];
                if (_filled == BlockSize) Flush();
            }
            return n;
        }

        /// <summary>Passes on the partly filled block (at the end of the stream).</summary>
        public override void Flush()
        {
            if (_block is null) return;
            queue.Add((_block, _filled), cancel);
            _block = null;
            _filled = 0;
        }
    }
}

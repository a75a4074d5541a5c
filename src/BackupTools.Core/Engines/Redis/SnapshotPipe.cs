using System.Buffers;
using System.Collections.Concurrent;
using BackupTools.Core.Engines.Redis.Rdb;

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
            summary = RdbReader.Read(new TeeStream(source, queue, failed.Token), checksum);
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

    /// <summary>Hands each block read to the writer thread as well as to the RDB walker.</summary>
    private sealed class TeeStream(Stream source, BlockingCollection<(byte[], int)> queue, CancellationToken cancel) : Stream
    {
        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = source.Read(buffer, offset, count);
            if (n > 0)
            {
                var copy = ArrayPool<byte>.Shared.Rent(n);
                Buffer.BlockCopy(buffer, offset, copy, 0, n);
                queue.Add((copy, n), cancel);
            }
            return n;
        }

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

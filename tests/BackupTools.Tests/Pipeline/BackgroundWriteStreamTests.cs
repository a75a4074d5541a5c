using BackupTools.Core.Pipeline;

namespace BackupTools.Tests.Pipeline;

/// <summary>
/// The stage boundary between the caller's half of the write pipeline and its own thread: order, bounded memory
/// (back-pressure), a failure on the pipeline thread surfacing on the caller's side, and abandoning.
/// </summary>
public sealed class BackgroundWriteStreamTests
{
    private const int Buffer = BackgroundWriteStream.BufferSize;

    private static byte[] Data(int length)
    {
        var data = new byte[length];
        new Random(7).NextBytes(data);
        return data;
    }

    /// <summary>Records what arrives and on which thread; can fail after some bytes or hold every write until released.</summary>
    private sealed class Recorder(long failAfter = long.MaxValue) : Stream
    {
        public readonly MemoryStream Received = new();
        public readonly HashSet<int> Threads = [];
        public readonly ManualResetEventSlim Gate = new(initialState: true);
        public bool Disposed;

        public override void Write(byte[] buffer, int offset, int count)
        {
            Gate.Wait(TimeSpan.FromSeconds(30));
            lock (Threads) Threads.Add(Environment.CurrentManagedThreadId);
            if (Received.Length + count > failAfter) throw new IOException("No space left on device (test)");
            Received.Write(buffer, offset, count);
        }

        protected override void Dispose(bool disposing) { Disposed = true; base.Dispose(disposing); }
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => Received.Length;
        public override long Position { get => Received.Length; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4093)]
    [InlineData(3 << 20)]
    public void A_large_stream_arrives_whole_and_in_order_on_the_pipeline_thread(int writeSize)
    {
        var data = Data(writeSize == 1 ? 3 * Buffer + 17 : 40 * Buffer + 12345);
        var inner = new Recorder();
        var stream = new BackgroundWriteStream(inner);
        for (var at = 0; at < data.Length; at += writeSize) stream.Write(data, at, Math.Min(writeSize, data.Length - at));
        Assert.True(stream.UsedPipelineThread);
        stream.Dispose();

        Assert.True(inner.Disposed);
        Assert.Equal(data, inner.Received.ToArray());
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, inner.Threads);
    }

    [Fact]
    public void An_object_smaller_than_one_buffer_is_written_on_the_callers_thread_without_starting_one()
    {
        var data = Data(Buffer - 1);
        var inner = new Recorder();
        var stream = new BackgroundWriteStream(inner);
        stream.Write(data);
        Assert.False(stream.UsedPipelineThread);
        stream.Dispose();
        Assert.Equal(data, inner.Received.ToArray());
        Assert.Equal([Environment.CurrentManagedThreadId], inner.Threads);
    }

    [Fact]
    public void A_failure_on_the_pipeline_thread_is_the_callers_error_and_the_rest_is_not_written()
    {
        var inner = new Recorder(failAfter: 5L * Buffer);
        var stream = new BackgroundWriteStream(inner);
        var data = Data(Buffer);
        var thrown = Assert.Throws<IOException>(() =>
        {
            for (var i = 0; i < 100; i++) stream.Write(data); // a caller blocked on the full queue is woken by the failure
        });
        Assert.Equal("No space left on device (test)", thrown.Message);
        Assert.Equal(5L * Buffer, inner.Received.Length);
        Assert.Same(thrown, Assert.Throws<IOException>(stream.Dispose)); // and again from Dispose, as it was
        Assert.True(inner.Disposed);
        Assert.Equal(5L * Buffer, inner.Received.Length);
        Assert.Throws<ObjectDisposedException>(() => stream.Write(data));
    }

    [Fact]
    public void A_failure_while_the_last_buffers_drain_comes_out_of_Dispose()
    {
        var inner = new Recorder(failAfter: 2L * Buffer + 10);
        var stream = new BackgroundWriteStream(inner);
        stream.Write(Data(3 * Buffer)); // queued without blocking: the third buffer's failure can only come out of Dispose
        var thrown = Assert.Throws<IOException>(stream.Dispose);
        Assert.Contains("No space left", thrown.Message);
        Assert.True(inner.Disposed);
    }

    [Fact]
    public async Task A_caller_that_gets_ahead_blocks_so_memory_stays_bounded()
    {
        var inner = new Recorder();
        inner.Gate.Reset(); // the pipeline thread is stuck in its first write
        var stream = new BackgroundWriteStream(inner);
        long accepted = 0;
        var writer = Task.Run(() =>
        {
            var data = Data(Buffer / 4);
            for (var i = 0; i < 4 * 40; i++) { stream.Write(data); Interlocked.Add(ref accepted, data.Length); }
        });
        Assert.NotSame(writer, await Task.WhenAny(writer, Task.Delay(TimeSpan.FromSeconds(2)))); // else 40 MiB went in while nothing came out
        // one buffer in the stuck write, Depth queued, one being filled
        Assert.InRange(Interlocked.Read(ref accepted), BackgroundWriteStream.Depth * (long)Buffer, (BackgroundWriteStream.Depth + 2L) * Buffer);

        inner.Gate.Set();
        await writer.WaitAsync(TimeSpan.FromSeconds(30));
        stream.Dispose();
        Assert.Equal(40L * Buffer, inner.Received.Length);
    }

    [Fact]
    public async Task Abandon_stops_the_thread_without_writing_what_waits()
    {
        var inner = new Recorder();
        inner.Gate.Reset();
        var stream = new BackgroundWriteStream(inner);
        var data = Data(Buffer);
        for (var i = 0; i < BackgroundWriteStream.Depth; i++) stream.Write(data);
        var abandon = Task.Run(stream.Abandon);
        await Task.Delay(200);
        inner.Gate.Set(); // the write in flight finishes; the queued ones are dropped
        await abandon.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(inner.Received.Length < BackgroundWriteStream.Depth * (long)Buffer, $"{inner.Received.Length} bytes written after Abandon");
        Assert.True(inner.Disposed);
        stream.Dispose(); // idempotent after Abandon
    }
}

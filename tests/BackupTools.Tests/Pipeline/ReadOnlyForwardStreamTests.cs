using BackupTools.Core.Engines.External;
using BackupTools.Core.Pipeline;

namespace BackupTools.Tests.Pipeline;

public sealed class ReadOnlyForwardStreamTests
{
    [Fact]
    public void Array_reads_go_through_the_span_read_and_everything_but_reading_is_refused()
    {
        using var stream = new CancellableReadStream(new MemoryStream([1, 2, 3, 4]), CancellationToken.None);
        var buffer = new byte[6];

        Assert.Equal(3, stream.Read(buffer, 1, 3));
        Assert.Equal(new byte[] { 0, 1, 2, 3, 0, 0 }, buffer);
        Assert.True(stream.CanRead);
        Assert.False(stream.CanSeek);
        Assert.False(stream.CanWrite);
        Assert.Throws<NotSupportedException>(() => stream.Write([1], 0, 1));
        Assert.Throws<NotSupportedException>(() => stream.Write(new ReadOnlySpan<byte>([1])));
        Assert.Throws<NotSupportedException>(() => stream.Seek(0, SeekOrigin.Begin));
        Assert.Throws<NotSupportedException>(() => stream.SetLength(1));
        Assert.Throws<NotSupportedException>(() => stream.Length);
        Assert.Throws<NotSupportedException>(() => stream.Position);
        Assert.Throws<NotSupportedException>(() => stream.Position = 0);
        stream.Flush(); // a no-op, as a reader's Flush is (CopyTo callers flush their source)
    }
}

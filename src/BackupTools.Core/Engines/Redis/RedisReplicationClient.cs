using System.Text;
using BackupTools.Core.Errors;
using BackupTools.Core.Pipeline;

namespace BackupTools.Core.Engines.Redis;

/// <summary>
/// Fetches a fresh RDB snapshot the way a replica (or `redis-cli --rdb`) does: AUTH, REPLCONF, SYNC, then
/// either "$&lt;length&gt;" and that many bytes (disk-based) or "$EOF:&lt;40-byte mark&gt;" and bytes up to the mark
/// (diskless). <see cref="Payload"/> yields exactly the snapshot and throws if the connection ends early.
/// </summary>
public sealed class RedisReplicationClient : IDisposable
{
    private const int MarkLength = 40;
    private readonly RespConnection _connection;
    private readonly CancellationTokenRegistration _onCancel;

    private RedisReplicationClient(RespConnection connection, long? length, byte[]? mark, RedisTarget target, CancellationToken cancel)
    {
        _connection = connection;
        Length = length;
        Payload = new PayloadStream(connection, length, mark, target, cancel);
        _onCancel = cancel.Register(connection.Dispose);
    }

    /// <summary>Snapshot size when the server announced it (disk-based transfer); null for the diskless form.</summary>
    public long? Length { get; }
    public bool Diskless => Length is null;
    public Stream Payload { get; }

    /// <param name="prepareTimeout">How long the server may prepare the snapshot (it sends a newline every second meanwhile).</param>
    public static RedisReplicationClient Start(RedisTarget target, TimeSpan prepareTimeout, CancellationToken cancel)
    {
        var connection = RespConnection.Open(target, TimeSpan.FromSeconds(15), cancel);
        try
        {
            connection.Command("REPLCONF", "capa", "eof");
            // Redis 7+: this replica only wants the snapshot, no command stream after it. Older servers refuse it; that's fine.
            try { connection.Command("REPLCONF", "rdb-only", "1"); } catch (RespErrorException) { }
            connection.Send("SYNC");
            connection.ReceiveTimeout = prepareTimeout;
            var header = ReadHeader(connection, target);
            connection.ReceiveTimeout = TimeSpan.FromSeconds(60);
            if (header.StartsWith("EOF:", StringComparison.Ordinal) && header.Length == 4 + MarkLength)
                return new RedisReplicationClient(connection, null, Encoding.ASCII.GetBytes(header[4..]), target, cancel);
            if (long.TryParse(header, out var length) && length >= 0)
                return new RedisReplicationClient(connection, length, null, target, cancel);
            throw new BackupToolsException("RedisSyncUnexpectedReply", FailureKind.ExternalToolFailure, $"{target} answered SYNC with '${header}', not a snapshot.", "Check that this is a Redis server.");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private static string ReadHeader(RespConnection connection, RedisTarget target)
    {
        while (true)
        {
            var first = connection.ReadByte();
            if (first < 0) throw new BackupToolsException("RedisTransferInterrupted", FailureKind.ResourceBusy, $"{target} closed the connection before sending the snapshot.", "Check the server log (a failed fork or BGSAVE?) and run again.");
            if (first == '\n') continue; // keep-alive while the server prepares the snapshot
            var rest = connection.ReadLine();
            return first switch
            {
                '$' => rest,
                '-' => throw new RespErrorException(rest),
                _ => throw new BackupToolsException("RedisSyncUnexpectedReply", FailureKind.ExternalToolFailure, $"{target} answered SYNC with '{(char)first}{rest}'.", "Check that this is a Redis server that allows replication."),
            };
        }
    }

    public void Dispose()
    {
        _onCancel.Dispose();
        _connection.Dispose();
    }

    /// <summary>Exactly the snapshot's bytes; the diskless form holds back the last 40 bytes until it knows they are not the end mark.</summary>
    private sealed class PayloadStream(RespConnection connection, long? length, byte[]? mark, RedisTarget target, CancellationToken cancel) : ReadOnlyForwardStream
    {
        private long _remaining = length ?? long.MaxValue;
        private readonly byte[] _window = mark is null ? [] : new byte[(1 << 20) + MarkLength];
        private int _held; // bytes at the start of _window not yet handed out
        private bool _ended, _markFound;
        private long _received;

        public override int Read(Span<byte> buffer)
        {
            if (_ended || buffer.Length == 0) return 0;
            return mark is null ? ReadCounted(buffer) : ReadMarked(buffer);
        }

        private int ReadCounted(Span<byte> buffer)
        {
            if (_remaining == 0) { _ended = true; return 0; }
            var n = Receive(buffer[..(int)Math.Min(buffer.Length, _remaining)]);
            _remaining -= n;
            return n;
        }

        private int ReadMarked(Span<byte> buffer)
        {
            while (true)
            {
                var ready = _markFound ? _held : _held - MarkLength;
                if (ready > 0)
                {
                    var give = Math.Min(ready, buffer.Length);
                    _window.AsSpan(0, give).CopyTo(buffer);
                    Buffer.BlockCopy(_window, give, _window, 0, _held - give);
                    _held -= give;
                    return give;
                }
                if (_markFound) { _ended = true; return 0; }
                _held += Receive(_window.AsSpan(_held));
                var at = _window.AsSpan(0, _held).IndexOf(mark);
                // Anything after the mark (a replication stream) is not part of the snapshot.
                if (at >= 0) { _held = at; _markFound = true; }
            }
        }

        private int Receive(Span<byte> target)
        {
            int n;
            try { n = connection.Read(target); }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                cancel.ThrowIfCancellationRequested(); // Ctrl+C closed the connection: a stop, not a network failure
                throw Interrupted(e);
            }
            if (n == 0) throw Interrupted(null);
            _received += n;
            return n;
        }

        private BackupToolsException Interrupted(Exception? inner) => new("RedisTransferInterrupted", FailureKind.ResourceBusy,
            $"The snapshot transfer from {target} broke off after {_received} bytes{(length is { } l ? $" of {l}" : "")}; nothing was recorded.",
            "Check the server and network, then run again.", inner);

        public override long Position => _received;
    }
}

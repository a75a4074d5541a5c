using System.Formats.Tar;
using System.Security.Cryptography;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.MySqlPitr;

/// <summary>
/// Ships what the binlog streamer wrote into the spool: for every file, the whole events past what the archive
/// already holds become one segment; all segments of a push form one binlog batch (a tar through compress →
/// encrypt → hash, manifest last). A file the streamer has finished (rotate/stop event, or a newer file
/// beside it) and that is archived to its end leaves the spool once the manifest is durable.
/// </summary>
public sealed class BinlogPushOperation(IOperationObserver observer)
{
    private const string Activity = "Push-MySqlBinlog";

    /// <summary>Binlog files in the spool, oldest first.</summary>
    public static List<string> Spooled(string spool) =>
        System.IO.Directory.EnumerateFiles(spool).Select(Path.GetFileName).OfType<string>()
            .Where(n => BinlogFileName.TryParse(n, out _, out _) && !n.EndsWith(".index", StringComparison.Ordinal))
            .Order(Comparer<string>.Create(BinlogFileName.Compare)).ToList();

    public BinlogPushResult Push(BackupRepository repository, BinlogArchive archive, BinlogArchiveRequest request, CancellationToken cancel)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var files = Spooled(request.Spool);
        var segments = new List<BinlogSegment>();
        var finished = new List<string>();
        for (var i = 0; i < files.Count; i++)
        {
            cancel.ThrowIfCancellationRequested();
            var name = files[i];
            var path = Path.Combine(request.Spool, name);
            var archivedEnd = archive.EndOf(name);
            var length = new FileInfo(path).Length;
            // After a restart the streamer writes the file again from its start: wait until it is past what we have.
            if (length < archivedEnd) continue;
            var scan = BinlogScan.Of(path, archivedEnd);
            var newerBeside = i < files.Count - 1;
            var closed = scan.Ended || (newerBeside && scan.CompleteEnd == length);
            if (scan.CompleteEnd > archivedEnd)
            {
                var startState = archivedEnd == 0 ? BinlogScan.Of(path, 0).StartState : null;
                segments.Add(new BinlogSegment(name, archivedEnd, scan.CompleteEnd, Sha256Of(path, archivedEnd, scan.CompleteEnd), closed,
                    scan.FirstTime, scan.LastTime, scan.FirstGtid?.ToString(), scan.LastGtid?.ToString(),
                    startState is null ? null : string.Join(",", startState)));
            }
            else if (closed && !archive.IsClosed(name) && archivedEnd > 0)
                // Everything was archived while the file still grew; its end is known only now.
                segments.Add(new BinlogSegment(name, archivedEnd, archivedEnd, Sha256Of(path, archivedEnd, archivedEnd), true, null, null, null, null, null));
            if (closed) finished.Add(name);
        }

        string? batchId = null;
        if (segments.Count > 0)
        {
            var manifest = new BackupTemplate(observer).Batch(repository, $"Push-MySqlBinlog {request.Cell}", request.LockTimeout,
                new StreamBackup(request.Cell, request.Target.ToString(), BinlogArchive.EngineName, request.Compression, request.Keys, Kind: BackupKind.Binlog), data =>
                {
                    using var tar = new TarWriter(data, TarEntryFormat.Pax, leaveOpen: true);
                    foreach (var segment in segments)
                    {
                        using var slice = new FileStream(Path.Combine(request.Spool, segment.File), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                        slice.Position = segment.Start;
                        var entry = new PaxTarEntry(TarEntryType.RegularFile, segment.EntryName) { DataStream = new BoundedStream(slice, segment.End - segment.Start) };
                        tar.WriteEntry(entry);
                        observer.Progress(Activity, segment.EntryName, segment.End, segment.End);
                    }
                }, () => BinlogArchive.Describe(segments), cancel);
            archive.Add(manifest);
            batchId = manifest.Id;
        }
        // Only now, with the manifest durable, may the spool forget finished files.
        foreach (var name in finished.Where(archive.IsClosed))
            File.Delete(Path.Combine(request.Spool, name));
        return new BinlogPushResult(request.Cell, batchId, segments, archive.Gaps(), archive.NewestEvent, clock.Elapsed);
    }

    private static string Sha256Of(string path, long start, long end)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        stream.Position = start;
        return Convert.ToHexString(SHA256.HashData(new BoundedStream(stream, end - start))).ToLowerInvariant();
    }
}

/// <summary>A read-only, seekable window [start, start+length) of a file stream (TarWriter needs the length up front).</summary>
internal sealed class BoundedStream : Stream
{
    private readonly Stream _inner;
    private readonly long _start;
    private readonly long _length;

    public BoundedStream(Stream inner, long length)
    {
        _inner = inner;
        _start = inner.Position;
        _length = length;
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _inner.Position - _start; set => _inner.Position = _start + Math.Clamp(value, 0, _length); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var left = _length - Position;
        if (left <= 0) return 0;
        var n = _inner.Read(buffer, offset, (int)Math.Min(count, left));
        if (n == 0) throw new EndOfStreamException("The binlog file ended before the segment did.");
        return n;
    }

    public override long Seek(long offset, SeekOrigin origin) =>
        Position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => Position + offset, _ => _length + offset };

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

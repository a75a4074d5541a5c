namespace BackupTools.Core.Storage;

/// <summary>
/// Optional ability: read a byte range of an object without fetching the rest (S3's ranged GET). Chunked
/// repositories read one chunk out of a pack this way; stores without it are read by seeking or skipping.
/// </summary>
public interface IRangeReadableStore
{
    /// <summary>Exactly <paramref name="length"/> bytes from <paramref name="offset"/>; fewer only when the object is shorter.</summary>
    byte[] ReadRange(string key, long offset, int length, CancellationToken cancel = default);
}

public static class RangeReads
{
    /// <summary>A byte range through the store's ranged read, or else by opening the object and seeking (or skipping) to it.</summary>
    public static byte[] ReadRange(this IBackupStore store, string key, long offset, int length, CancellationToken cancel = default)
    {
        if (store.Ability<IRangeReadableStore>() is { } ranged) return ranged.ReadRange(key, offset, length, cancel);
        using var stream = store.OpenRead(key, cancel);
        if (stream.CanSeek) stream.Seek(offset, SeekOrigin.Begin);
        else
        {
            var skip = new byte[Math.Min(offset, 1 << 16)];
            for (var left = offset; left > 0;)
            {
                var n = stream.Read(skip, 0, (int)Math.Min(left, skip.Length));
                if (n == 0) return [];
                left -= n;
            }
        }
        var buffer = new byte[length];
        var total = 0;
        while (total < length)
        {
            var n = stream.Read(buffer, total, length - total);
            if (n == 0) break;
            total += n;
        }
        return total == length ? buffer : buffer[..total];
    }
}

using System.Globalization;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Directory.Tar;

/// <summary>
/// GNU sparse 1.0 map, stored at the start of an entry's data area: decimal lines "count", then
/// "offset", "length" per region, zero-padded to a whole block. The stored data that follows is the
/// regions' bytes back to back.
/// </summary>
internal static class GnuSparseMap
{
    private const int MaxRegions = 10_000_000;

    /// <summary>
    /// GNU tar only extends a file to its full size through a final zero-length region at the real size,
    /// so one is added whenever the file ends in a hole (or is all hole).
    /// </summary>
    public static byte[] Encode(IReadOnlyList<SparseRegion> regions, long realSize)
    {
        var endsInHole = regions.Count == 0 || regions[^1].Offset + regions[^1].Length < realSize;
        var text = new StringBuilder();
        text.Append(regions.Count + (endsInHole ? 1 : 0)).Append('\n');
        foreach (var r in regions)
            text.Append(r.Offset.ToString(CultureInfo.InvariantCulture)).Append('\n').Append(r.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (endsInHole) text.Append(realSize.ToString(CultureInfo.InvariantCulture)).Append("\n0\n");
        var bytes = Encoding.ASCII.GetBytes(text.ToString());
        var padded = new byte[(bytes.Length + TarHeaderBlock.BlockSize - 1) / TarHeaderBlock.BlockSize * TarHeaderBlock.BlockSize];
        bytes.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>
    /// Reads the map block by block from the entry's data area. Returns the data regions (zero-length ones
    /// dropped) and how many bytes of the stored data the map took. Regions must be ordered, disjoint,
    /// inside the real size, and add up to exactly the stored data that follows.
    /// </summary>
    public static List<SparseRegion> Read(Stream input, long storedSize, long realSize, out long mapBytes)
    {
        var block = new byte[TarHeaderBlock.BlockSize];
        var numbers = new List<long>();
        long count = -1, current = 0;
        var digits = 0;
        mapBytes = 0;
        while (count < 0 || numbers.Count < 1 + 2 * count)
        {
            if (mapBytes + block.Length > storedSize) throw Malformed();
            if (TarEntry.ReadFully(input, block) != block.Length) throw TarEntry.Truncated();
            mapBytes += block.Length;
            foreach (var b in block)
            {
                if (count >= 0 && numbers.Count == 1 + 2 * count) break; // the rest of the block is padding
                if (b == (byte)'\n')
                {
                    if (digits == 0) throw Malformed();
                    numbers.Add(current);
                    if (numbers.Count == 1)
                    {
                        count = current;
                        if (count > MaxRegions) throw Malformed();
                    }
                    current = 0;
                    digits = 0;
                }
                else if (b is >= (byte)'0' and <= (byte)'9' && digits < 18)
                {
                    current = current * 10 + (b - '0');
                    digits++;
                }
                else throw Malformed();
            }
        }

        var regions = new List<SparseRegion>((int)count);
        long position = 0, total = 0;
        for (var i = 0; i < count; i++)
        {
            var region = new SparseRegion(numbers[1 + 2 * i], numbers[2 + 2 * i]);
            if (region.Offset < position || region.Offset + region.Length > realSize) throw Malformed();
            position = region.Offset + region.Length;
            total += region.Length;
            if (region.Length > 0) regions.Add(region);
        }
        if (total != storedSize - mapBytes) throw Malformed();
        return regions;
    }

    private static BackupIntegrityException Malformed() =>
        new("TarSparseMapMalformed", "A sparse file's map in the archive is malformed: the archive is damaged.");
}

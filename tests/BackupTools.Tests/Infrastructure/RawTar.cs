using System.Text;

namespace BackupTools.Tests.Infrastructure;

/// <summary>Hand-built ustar bytes, so tests can make archives our writer would never produce (tar-slip).</summary>
public sealed class RawTar
{
    private readonly MemoryStream _bytes = new();

    public RawTar File(string name, string content) => Entry(name, '0', Encoding.UTF8.GetBytes(content), "");
    public RawTar Symlink(string name, string target) => Entry(name, '2', [], target);
    public RawTar Directory(string name) => Entry(name, '5', [], "");

    public byte[] Finish()
    {
        _bytes.Write(new byte[1024]);
        return _bytes.ToArray();
    }

    private RawTar Entry(string name, char type, byte[] content, string link)
    {
        var h = new byte[512];
        Put(h, 0, 100, name);
        Put(h, 100, 8, type == '5' ? "0000755" : "0000644");
        Put(h, 108, 8, "0000000");
        Put(h, 116, 8, "0000000");
        Put(h, 124, 12, Convert.ToString(content.Length, 8).PadLeft(11, '0'));
        Put(h, 136, 12, Convert.ToString(1_700_000_000L, 8).PadLeft(11, '0'));
        for (var i = 148; i < 156; i++) h[i] = (byte)' ';
        h[156] = (byte)type;
        Put(h, 157, 100, link);
        Put(h, 257, 6, "ustar");
        Put(h, 263, 2, "00");
        var sum = h.Sum(b => b);
        Put(h, 148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        _bytes.Write(h);
        _bytes.Write(content);
        var pad = (512 - content.Length % 512) % 512;
        _bytes.Write(new byte[pad]);
        return this;
    }

    private static void Put(byte[] h, int offset, int length, string value)
    {
        var b = Encoding.ASCII.GetBytes(value);
        Array.Copy(b, 0, h, offset, Math.Min(b.Length, length));
    }
}

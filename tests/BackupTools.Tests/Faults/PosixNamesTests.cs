using System.Text;
using BackupTools.Core.Posix;

namespace BackupTools.Tests.Faults;

public class PosixNamesTests
{
    [Fact]
    public void Every_byte_pair_and_random_byte_strings_round_trip_exactly()
    {
        for (var a = 1; a < 256; a++)
            for (var b = 1; b < 256; b++)
                AssertRoundTrip([(byte)a, (byte)b]);
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(1, 12)];
            random.NextBytes(bytes);
            for (var j = 0; j < bytes.Length; j++) if (bytes[j] == 0) bytes[j] = 0x80;
            AssertRoundTrip(bytes);
        }
    }

    [Fact]
    public void Valid_UTF8_is_unchanged_and_never_taken_for_escaped_bytes()
    {
        // U+10080 is the surrogate pair D800 DC80: its low half lies in the escape range but is no escape.
        foreach (var name in new[] { "plain.txt", "données/日本語 ✓.txt", "\U00010080-x", "emoji-😀" })
        {
            Assert.Equal(name, PosixNames.FromBytes(Encoding.UTF8.GetBytes(name)));
            Assert.False(PosixNames.HasEscapedBytes(name));
            Assert.Equal(Encoding.UTF8.GetBytes(name), PosixNames.ToBytes(name));
        }
    }

    [Fact]
    public void Invalid_bytes_are_escaped_and_shown_as_hex()
    {
        var name = PosixNames.FromBytes([0xff, 0xfe, (byte)'-', (byte)'n', 0xc3]);
        Assert.Equal("\uDCFF\uDCFE-n\uDCC3", name);
        Assert.True(PosixNames.HasEscapedBytes(name));
        Assert.Equal(@"\xff\xfe-n\xc3", PosixNames.Display(name));
        Assert.Equal(@"a\x0ab", PosixNames.Display("a\nb"));
    }

    private static void AssertRoundTrip(byte[] bytes) => Assert.Equal(bytes, PosixNames.ToBytes(PosixNames.FromBytes(bytes)));
}

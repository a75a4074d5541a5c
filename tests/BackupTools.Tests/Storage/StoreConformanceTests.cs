using System.Security.Cryptography;
using System.Text;
using BackupTools.Core.Storage;

namespace BackupTools.Tests.Storage;

/// <summary>
/// What every backend must do, run against each real backend by a subclass: atomic visibility,
/// discard, replace, exclusive create, listing (incl. beyond one S3 page), delete, missing objects.
/// </summary>
public abstract class StoreConformanceTests : IDisposable
{
    protected abstract IBackupStore Store { get; }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private string ReadText(string key)
    {
        using var stream = Store.OpenRead(key);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [Fact]
    public void Written_object_is_invisible_until_commit_then_whole()
    {
        using (var pending = Store.OpenWrite("backups/a/data"))
        {
            pending.Write(Bytes("hello "));
            pending.Write(Bytes("world"));
            Assert.False(Store.Exists("backups/a/data"));
            Assert.DoesNotContain("backups/a/data", Store.List("backups/"));
            pending.Commit();
        }
        Assert.True(Store.Exists("backups/a/data"));
        Assert.Equal(11, Store.SizeOf("backups/a/data"));
        Assert.Equal("hello world", ReadText("backups/a/data"));
    }

    [Fact]
    public void Disposing_without_commit_leaves_nothing_under_the_key()
    {
        using (var pending = Store.OpenWrite("backups/b/data"))
            pending.Write(Bytes("never committed"));
        Assert.False(Store.Exists("backups/b/data"));
        Assert.Null(Store.SizeOf("backups/b/data"));
        Assert.Empty(Store.List("backups/b/"));
    }

    [Fact]
    public void Replace_overwrites_atomically_and_commit_over_an_existing_key_replaces_it()
    {
        Store.Replace("repository.json", Bytes("v1"));
        Store.Replace("repository.json", Bytes("version 2"));
        Assert.Equal("version 2", ReadText("repository.json"));
        using (var pending = Store.OpenWrite("repository.json"))
        {
            pending.Write(Bytes("v3"));
            Assert.Equal("version 2", ReadText("repository.json"));
            pending.Commit();
        }
        Assert.Equal("v3", ReadText("repository.json"));
    }

    [Fact]
    public void Exclusive_create_succeeds_once_until_the_key_is_deleted()
    {
        Assert.True(Store.TryCreateExclusive("locks/writer.json", Bytes("first")));
        Assert.False(Store.TryCreateExclusive("locks/writer.json", Bytes("second")));
        Assert.Equal("first", ReadText("locks/writer.json"));
        Store.Delete("locks/writer.json");
        Assert.True(Store.TryCreateExclusive("locks/writer.json", Bytes("third")));
        Assert.Equal("third", ReadText("locks/writer.json"));
    }

    [Fact]
    public void Concurrent_exclusive_creates_have_at_most_one_winner()
    {
        for (var round = 0; round < 3; round++)
        {
            var key = $"locks/race-{round}.json";
            var winners = 0;
            Parallel.For(0, 6, new ParallelOptions { MaxDegreeOfParallelism = 6 }, i =>
            {
                if (Store.TryCreateExclusive(key, Bytes($"contender {i}"))) Interlocked.Increment(ref winners);
            });
            Assert.True(winners <= 1, $"round {round}: {winners} contenders all believed they created {key}");
            // Everyone backing off is allowed; a later lone contender must then win.
            if (winners == 0) Assert.True(Store.TryCreateExclusive(key, Bytes("late")));
            Assert.True(Store.Exists(key));
        }
    }

    [Fact]
    public void List_returns_keys_under_a_folder_prefix_only()
    {
        Store.Replace("backups/x/manifest.json", Bytes("m"));
        Store.Replace("backups/x/data", Bytes("d"));
        Store.Replace("backups/y/deep/more", Bytes("e"));
        Store.Replace("backups2/z", Bytes("z"));
        Store.Replace("other", Bytes("o"));
        Assert.Equal(["backups/x/data", "backups/x/manifest.json", "backups/y/deep/more"], Store.List("backups/").Order(StringComparer.Ordinal));
        Assert.Equal(["backups/x/data", "backups/x/manifest.json", "backups/y/deep/more"], Store.List("backups").Order(StringComparer.Ordinal));
        Assert.Empty(Store.List("nothing-here/"));
    }

    [Fact]
    public void List_pages_beyond_a_thousand_keys()
    {
        var expected = Enumerable.Range(0, 1234).Select(i => $"many/k{i:D5}").ToList();
        Parallel.ForEach(expected, new ParallelOptions { MaxDegreeOfParallelism = 16 }, key => Store.Replace(key, Bytes("x")));
        Assert.Equal(expected, Store.List("many/").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Delete_removes_the_object_and_deleting_a_missing_key_is_harmless()
    {
        Store.Replace("backups/d/data", Bytes("x"));
        Store.Delete("backups/d/data");
        Assert.False(Store.Exists("backups/d/data"));
        Store.Delete("backups/d/data");
        Assert.Empty(Store.List("backups/d/"));
    }

    [Fact]
    public void Missing_objects_report_not_found()
    {
        Assert.False(Store.Exists("backups/none/manifest.json"));
        Assert.Null(Store.SizeOf("backups/none/manifest.json"));
        var error = Assert.Throws<StoreObjectNotFoundException>(() => Store.OpenRead("backups/none/manifest.json"));
        Assert.Equal("StoreObjectNotFound", error.ErrorId);
        Assert.Contains("backups/none/manifest.json", error.Message);
    }

    [Fact]
    public void Invalid_keys_are_refused()
    {
        foreach (var key in new[] { "", "../escape", "/rooted", "a/../b" })
        {
            var error = Assert.ThrowsAny<BackupTools.Core.Errors.BackupToolsException>(() => Store.OpenWrite(key).Dispose());
            Assert.Equal("StoreKeyInvalid", error.ErrorId);
        }
    }

    [Fact]
    public void Large_object_written_in_odd_chunks_reads_back_identically()
    {
        // 37 MB: more than four 8 MB parts on S3, with a short last part; odd write sizes cross part edges.
        var data = new byte[37 * 1024 * 1024 + 12345];
        new Random(42).NextBytes(data);
        using (var pending = Store.OpenWrite("backups/big/data"))
        {
            for (var offset = 0; offset < data.Length;)
            {
                var n = Math.Min(data.Length - offset, 1_000_003);
                pending.Write(data, offset, n);
                offset += n;
            }
            pending.Commit();
        }
        Assert.Equal(data.Length, Store.SizeOf("backups/big/data"));
        using var read = Store.OpenRead("backups/big/data");
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(read));
    }

    [Fact]
    public void Empty_object_commits_and_reads_back_empty()
    {
        using (var pending = Store.OpenWrite("empty")) pending.Commit();
        Assert.Equal(0, Store.SizeOf("empty"));
        Assert.Equal("", ReadText("empty"));
    }

    public virtual void Dispose() { }
}

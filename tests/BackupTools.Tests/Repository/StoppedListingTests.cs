using System.Collections.Concurrent;
using System.Diagnostics;
using BackupTools.Core.Repository;
using BackupTools.Core.Storage;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Repository;

/// <summary>
/// A listing on a slow store (an S3 bucket with many objects) stops when the command is stopped (Ctrl+C) or tab completion
/// gives up: the cmdlet's stopping token reaches the store's List, instead of the stop waiting for the whole listing.
/// </summary>
public sealed class StoppedListingTests : IDisposable
{
    private static readonly TimeSpan PageDelay = TimeSpan.FromSeconds(30);
    private readonly TempDir _temp = new();
    private readonly PsSession _ps = new();
    private readonly string _location;

    public StoppedListingTests()
    {
        var path = _temp.Sub("repo");
        using (BackupRepository.Initialize(new LocalBackupStore(path), new RepositoryDefaults(), formatVersion: 1)) { }
        _location = $"{SlowListingBackend.Scheme}://{path}";
    }

    [Theory]
    [InlineData("Get-Backup -Repository $repo")]
    [InlineData("Get-BackupStatus -Repository $repo")]
    public void Stopping_the_command_while_the_store_lists_stops_it_within_seconds(string script)
    {
        var probe = SlowListingBackend.Registered.Probe(_location);
        using var running = _ps.Create($"$repo = '{_location}'; {script}");
        var invocation = running.BeginInvoke();
        Assert.True(probe.ListingStarted.Wait(TimeSpan.FromSeconds(60)), "the command never listed the repository: " + running.InvocationStateInfo.State);
        Assert.False(invocation.IsCompleted);

        var clock = Stopwatch.StartNew();
        running.Stop();

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"the stop took {clock.Elapsed} (a listing page takes {PageDelay})");
        Assert.Equal(1, probe.CancelledListings);
    }

    [Fact]
    public void Tab_completion_that_gives_up_on_a_slow_listing_cancels_it()
    {
        var probe = SlowListingBackend.Registered.Probe(_location);
        var clock = Stopwatch.StartNew();
        var result = _ps.Run("(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches",
            new Dictionary<string, object?> { ["line"] = $"Get-Backup -Repository '{_location}' -Cell " });

        Assert.Empty(result.Output); // the completer's patience (5 s) ran out
        Assert.True(probe.ListingStarted.IsSet);
        Assert.True(SpinWait.SpinUntil(() => probe.CancelledListings == 1, TimeSpan.FromSeconds(10)),
            $"the listing went on after completion gave up ({clock.Elapsed} since completion started)");
    }

    public void Dispose()
    {
        _ps.Dispose();
        _temp.Dispose();
    }

    /// <summary>Local folders under "slowlist://", whose List answers only after <see cref="PageDelay"/> unless cancelled.</summary>
    private sealed class SlowListingBackend : IStoreBackend
    {
        public const string Scheme = "slowlist";
        public static SlowListingBackend Registered { get; } = Register();

        private readonly ConcurrentDictionary<string, ListingProbe> _probes = new(StringComparer.Ordinal);

        public IReadOnlyCollection<string> Schemes { get; } = [Scheme];
        public string Usage => $"{Scheme}://<path> (tests)";

        private static SlowListingBackend Register()
        {
            var backend = new SlowListingBackend();
            StoreRegistry.Register(backend);
            return backend;
        }

        public ListingProbe Probe(string location) => _probes.GetOrAdd(location, _ => new ListingProbe());

        public IBackupStore Open(string location, StorageCredential? credential, StoreOptions options) =>
            new SlowListingStore(new LocalBackupStore(location[(Scheme.Length + 3)..]), Probe(location));
    }

    private sealed class ListingProbe
    {
        private int _cancelled;
        public ManualResetEventSlim ListingStarted { get; } = new();
        public int CancelledListings => Volatile.Read(ref _cancelled);
        public void Cancelled() => Interlocked.Increment(ref _cancelled);
    }

    private sealed class SlowListingStore(IBackupStore inner, ListingProbe probe) : IBackupStore
    {
        public string Location => inner.Location;

        public IEnumerable<string> List(string prefix, CancellationToken cancel = default)
        {
            probe.ListingStarted.Set();
            if (cancel.WaitHandle.WaitOne(PageDelay))
            {
                probe.Cancelled();
                cancel.ThrowIfCancellationRequested();
            }
            return inner.List(prefix, cancel);
        }

        public PendingObject OpenWrite(string key, CancellationToken cancel = default) => inner.OpenWrite(key, cancel);
        public Stream OpenRead(string key, CancellationToken cancel = default) => inner.OpenRead(key, cancel);
        public bool Exists(string key, CancellationToken cancel = default) => inner.Exists(key, cancel);
        public long? SizeOf(string key, CancellationToken cancel = default) => inner.SizeOf(key, cancel);
        public void Delete(string key, CancellationToken cancel = default) => inner.Delete(key, cancel);
        public bool TryCreateExclusive(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.TryCreateExclusive(key, content, cancel);
        public bool DeleteIfUnchanged(string key, Func<byte[], bool> stillTheSame, CancellationToken cancel = default) => inner.DeleteIfUnchanged(key, stillTheSame, cancel);
        public DateTimeOffset? ModifiedAt(string key, CancellationToken cancel = default) => inner.ModifiedAt(key, cancel);
        public void Replace(string key, ReadOnlySpan<byte> content, CancellationToken cancel = default) => inner.Replace(key, content, cancel);
        public T? Ability<T>() where T : class => this as T ?? inner.Ability<T>();
        public void Dispose() => inner.Dispose();
    }
}

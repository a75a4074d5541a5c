using System.Reflection.PortableExecutable;
using BackupTools.Core.Engines.External;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.External;

/// <summary>What keeps a dump's hand-off cheap: a big stdio buffer in the tool, a big pipe, a precompiled runner.</summary>
public sealed class DumpOutputTuningTests
{
    /// <summary>Records the size of every write it receives: one per read of the tool's pipe.</summary>
    private sealed class ChunkRecorder : Stream
    {
        public List<int> Chunks { get; } = new();
        public override void Write(byte[] buffer, int offset, int count) => Chunks.Add(count);
        public override void Write(ReadOnlySpan<byte> buffer) => Chunks.Add(buffer.Length);
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

    [Fact]
    public void A_stdio_tool_hands_over_its_output_in_a_few_large_writes()
    {
        if (!OperatingSystem.IsLinux()) return; // the preload and F_SETPIPE_SZ are Linux mechanisms
        Assert.NotNull(DumpOutputTuning.StdbufLibrary); // Debian's coreutils ships libstdbuf.so
        var sink = new ChunkRecorder();
        // seq prints through stdio like pg_dump and mariadb-dump: 588,895 bytes, then the tool lingers.
        var result = ExternalTool.Run("/bin/sh", ["-c", "seq 1 100000; sleep 0.5"], new Dictionary<string, string>(), sink, null, CancellationToken.None);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(588_895, sink.Chunks.Sum());
        // A 4 KiB stdio buffer and a 64 KiB pipe would give at least ten reads of at most 64 KiB.
        Assert.True(sink.Chunks.Max() > 64 * 1024, $"largest read {sink.Chunks.Max()} bytes");
        Assert.True(sink.Chunks.Count <= 3, $"{sink.Chunks.Count} reads");
    }

    [Fact]
    public void The_pipe_behind_a_tools_stdout_grows_to_one_mebibyte()
    {
        if (!OperatingSystem.IsLinux()) return;
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("/bin/sh", ["-c", "exit 0"]) { RedirectStandardOutput = true })!;
        Assert.True(DumpOutputTuning.EnlargePipe(process.StandardOutput.BaseStream));
        Assert.False(DumpOutputTuning.EnlargePipe(new MemoryStream()));
        process.WaitForExit();
    }

    [Fact]
    public void The_runner_the_PowerShell_engine_and_the_module_are_precompiled()
    {
        // Start-up is on every scheduled backup's clock; an IL-only engine costs ~0.45 s of JIT per run.
        foreach (var path in new[] { "bin/runner/btrun.dll", "bin/runner/System.Management.Automation.dll",
                     "module/bin/BackupTools.PowerShell.dll", "module/bin/lib/BackupTools.Core.dll", "module/bin/lib/Npgsql.dll" })
        {
            var name = Path.GetFileName(path);
            using var file = File.OpenRead(Path.Combine(RepoPaths.Root, path));
            using var pe = new PEReader(file);
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, $"{name} is not ReadyToRun");
        }
    }
}

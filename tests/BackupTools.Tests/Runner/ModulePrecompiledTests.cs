using System.Reflection.PortableExecutable;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Runner;

/// <summary>
/// The module's assemblies carry ReadyToRun code this runtime accepts: code compiled against an older framework
/// (the SDK's PublishReadyToRun for net8.0 writes format 9) is ignored by .NET 10 (format 16), and then every method
/// of the core and its drivers is JIT-compiled on each backup run. The runtime's own CoreLib shows the format it
/// reads.
/// </summary>
public sealed class ModulePrecompiledTests
{
    private static (uint Signature, ushort Major)? ReadyToRunHeader(string path)
    {
        using var pe = new PEReader(File.OpenRead(path));
        var native = pe.PEHeaders.CorHeader?.ManagedNativeHeaderDirectory;
        if (native is not { Size: > 0 } directory) return null;
        var reader = pe.GetSectionData(directory.RelativeVirtualAddress).GetReader();
        return (reader.ReadUInt32(), reader.ReadUInt16());
    }

    [Fact]
    public void Every_module_assembly_is_precompiled_in_the_format_the_running_runtime_reads()
    {
        var runtime = ReadyToRunHeader(typeof(object).Assembly.Location);
        Assert.NotNull(runtime);
        var bin = Path.Combine(RepoPaths.Root, "module", "bin");
        var assemblies = Directory.GetFiles(bin, "*.dll").Concat(Directory.GetFiles(Path.Combine(bin, "lib"), "*.dll")).ToList();
        Assert.Contains(assemblies, a => a.EndsWith("BackupTools.Core.dll", StringComparison.Ordinal));
        Assert.All(assemblies, a => Assert.Equal(runtime, ReadyToRunHeader(a)));
    }
}

using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace BackupTools.Loader;

/// <summary>
/// The module's own load context: the core and its third-party libraries, loaded from the private folder
/// (module/bin/lib) where PowerShell's own probing never looks. A library that is not there (the framework)
/// comes from the default context.
/// </summary>
public sealed class PrivateLoadContext : AssemblyLoadContext
{
    /// <summary>The folder beside the loader that holds the private assemblies.</summary>
    public const string FolderName = "lib";

    private static readonly object Gate = new();
    private static PrivateLoadContext? _instance;
    private readonly string _folder;

    private PrivateLoadContext(string folder) : base("BackupTools", isCollectible: false) => _folder = folder;

    /// <summary>The context, once per process; hooks the default context's resolution on first use.</summary>
    public static PrivateLoadContext Instance
    {
        get
        {
            lock (Gate)
            {
                if (_instance != null) return _instance;
                var folder = Path.Combine(Path.GetDirectoryName(typeof(PrivateLoadContext).Assembly.Location)!, FolderName);
                _instance = new PrivateLoadContext(folder);
                Default.Resolving += ResolveForDefault;
                return _instance;
            }
        }
    }

    protected override Assembly? Load(AssemblyName name) =>
        PathOf(name) is { } path ? LoadFromAssemblyPath(path) : null;

    private string? PathOf(AssemblyName name)
    {
        if (string.IsNullOrEmpty(name.Name)) return null;
        var path = Path.Combine(_folder, name.Name + ".dll");
        return File.Exists(path) ? path : null;
    }

    // Only our own assemblies (the cmdlets reference the core) are answered for the default context: another
    // module's missing dependency must not be served our copy of a library it happens to share.
    private static Assembly? ResolveForDefault(AssemblyLoadContext context, AssemblyName name) =>
        name.Name?.StartsWith("BackupTools.", StringComparison.Ordinal) == true && _instance!.PathOf(name) != null
            ? _instance.LoadFromAssemblyName(name)
            : null;
}

/// <summary>
/// Imported as the manifest's first nested module, so the hook is in place before PowerShell reflects over the
/// cmdlets (which reference the core's types).
/// </summary>
public sealed class ModuleLoader : IModuleAssemblyInitializer
{
    public void OnImport() => _ = PrivateLoadContext.Instance;
}

using BackupTools.Core.Engines.Command;
using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Engines.MySql;
using BackupTools.Core.Engines.MySqlPhysical;
using BackupTools.Core.Engines.MySqlPitr;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Engines.PostgresPitr;
using BackupTools.Core.Engines.RabbitMq;
using BackupTools.Core.Engines.Redis;
using BackupTools.Core.Engines.S3Bucket;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.Registry;

/// <summary>
/// The one list of engines. Plans, verification, restore tests, restore order and cmdlets look engines up
/// here; an engine name or plan kind that is not registered is an error, never a default.
/// Adding an engine: its folder under Engines/ with a descriptor, plus one line in <see cref="All"/>.
/// </summary>
public static class EngineRegistry
{
    public static readonly IReadOnlyList<BackupEngine> All =
    [
        PostgresEngine.Descriptor,
        PostgresEngine.Globals,
        MySqlEngine.Descriptor,
        RedisRdbEngine.Descriptor,
        RedisAofEngine.Descriptor,
        DirectoryEngine.Descriptor,
        PgBaseEngine.Descriptor,
        PgWalEngine.Descriptor,
        BinlogEngine.Descriptor,
        MySqlPhysicalEngine.Descriptor,
        CommandEngine.Descriptor,
        S3BucketEngine.Descriptor,
        RabbitMqEngine.Descriptor,
    ];

    private static readonly Dictionary<string, BackupEngine> ByName = All.ToDictionary(e => e.Name, StringComparer.Ordinal);

    private static readonly Dictionary<string, BackupEngine> ByKind = All.Where(e => e.Plan.IsSupported)
        .ToDictionary(e => e.Plan.Value!.Kind, StringComparer.Ordinal);

    /// <summary>backup.yml source kinds, in registration order (the order Test-BackupPlan lists them in).</summary>
    public static IReadOnlyList<string> PlanKinds { get; } = All.Where(e => e.Plan.IsSupported).Select(e => e.Plan.Value!.Kind).ToArray();

    public static bool TryGet(string engineName, out BackupEngine engine) => ByName.TryGetValue(engineName, out engine!);

    /// <summary>The engine a manifest names; UnknownEngine when this version has none by that name.</summary>
    public static BackupEngine Get(string engineName) => TryGet(engineName, out var engine) ? engine
        : throw new BackupToolsException("UnknownEngine", FailureKind.InvalidData,
            $"No engine named '{engineName}' is registered in this BackupTools (known: {string.Join(", ", ByName.Keys)}).",
            "The backup was written by another (newer) BackupTools or the manifest was edited; use the version that wrote it.");

    /// <summary>The engine behind a plan source kind; PlanSourceUnsupported for a kind no engine declares.</summary>
    public static BackupEngine ForPlanKind(string kind) => ByKind.TryGetValue(kind, out var engine) ? engine
        : throw new BackupInputException("PlanSourceUnsupported", "Plan", $"No engine backs up plan sources of type '{kind}'.",
            $"Use one of: {string.Join(", ", PlanKinds)}.");

    /// <summary>The plan support of a kind (always supported: ForPlanKind only finds engines that have it).</summary>
    public static PlanEngineSupport PlanOf(string kind) => ForPlanKind(kind).Plan.Value!;
}

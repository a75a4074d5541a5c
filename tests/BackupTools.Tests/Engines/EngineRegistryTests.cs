using System.Reflection;
using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>
/// Every engine declares everything the rest of BackupTools asks of it — or says, with a reason, that it does not
/// apply. A new engine that forgets a part fails here instead of falling to a default somewhere else.
/// </summary>
public sealed class EngineRegistryTests
{
    public static TheoryData<string> Engines() => [.. EngineRegistry.All.Select(e => e.Name)];

    [Theory]
    [MemberData(nameof(Engines))]
    public void Every_engine_declares_validator_restore_test_priority_identity_and_plan_schema(string name)
    {
        var engine = EngineRegistry.Get(name);
        Assert.False(string.IsNullOrWhiteSpace(engine.DisplayName));
        Assert.True(engine.Validators.TryGetValue(BackupManifest.DataRole, out var validator) && validator != null, $"{name}: no validator for its data object");
        Assert.All(engine.Validators.Values, v => Assert.False(string.IsNullOrWhiteSpace(v.Name)));
        AssertDeclared(name, "RestoreTest", engine.RestoreTest);
        Assert.InRange(engine.RestorePriority, RestorePriorities.Database, RestorePriorities.Files);
        AssertDeclared(name, "Plan", engine.Plan);
        if (engine.Plan.Value is { } plan)
        {
            Assert.False(string.IsNullOrWhiteSpace(plan.Kind));
            Assert.NotNull(plan.Backup);
            Assert.NotNull(plan.Restore);
            Assert.NotNull(plan.SameSource);
            Assert.NotNull(plan.Destination);
            Assert.NotNull(plan.Validate);
            Assert.All(plan.Requires, key => Assert.True(CommonSourceKeys.Contains(key) || plan.Options.Contains(key), $"{name} requires '{key}', neither a source key nor one of its Options"));
            Assert.Same(engine, EngineRegistry.ForPlanKind(plan.Kind));
        }
    }

    private static readonly string[] CommonSourceKeys = ["server", "port", "database", "user", "password", "path"];

    private static void AssertDeclared<T>(string engine, string ability, Ability<T>? declared) where T : class
    {
        Assert.True(declared != null, $"{engine}: {ability} is not declared");
        Assert.True(declared!.IsSupported || !string.IsNullOrWhiteSpace(declared.NotApplicableBecause), $"{engine}: {ability} is neither given nor explained");
    }

    [Fact]
    public void Engine_names_and_plan_kinds_are_unique()
    {
        Assert.Equal(EngineRegistry.All.Count, EngineRegistry.All.Select(e => e.Name).Distinct().Count());
        Assert.Equal(EngineRegistry.PlanKinds.Count, EngineRegistry.PlanKinds.Distinct().Count());
    }

    /// <summary>Every engine name an operation writes into manifests (an *EngineName constant) is registered.</summary>
    [Fact]
    public void Every_engine_name_written_by_an_operation_is_registered()
    {
        var names = typeof(EngineRegistry).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name.EndsWith("EngineName", StringComparison.Ordinal))
            .Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.NotEmpty(names);
        Assert.All(names, n => Assert.True(EngineRegistry.TryGet(n, out _), $"engine '{n}' is written by an operation but not registered in EngineRegistry.All"));
    }

    [Fact]
    public void An_unknown_engine_or_plan_kind_is_a_clear_error()
    {
        var engine = Assert.ThrowsAny<BackupTools.Core.Errors.BackupToolsException>(() => EngineRegistry.Get("mongodb"));
        Assert.Equal("UnknownEngine", engine.ErrorId);
        Assert.Contains("'mongodb'", engine.Message);
        var kind = Assert.ThrowsAny<BackupTools.Core.Errors.BackupToolsException>(() => EngineRegistry.ForPlanKind("mongodb"));
        Assert.Equal("PlanSourceUnsupported", kind.ErrorId);
        Assert.Contains("postgres", kind.RecommendedAction);
    }
}

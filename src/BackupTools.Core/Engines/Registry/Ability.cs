namespace BackupTools.Core.Engines.Registry;

/// <summary>
/// Something an engine either has or, explicitly and with a reason, does not have (e.g. a restore test). A
/// missing ability is therefore a decision written in the engine's descriptor, never a forgotten switch case.
/// </summary>
public sealed class Ability<T> where T : class
{
    private Ability(T? value, string? notApplicableBecause) => (Value, NotApplicableBecause) = (value, notApplicableBecause);

    /// <summary>The ability, or null when the engine declared it not applicable.</summary>
    public T? Value { get; }

    /// <summary>Why the engine has no such ability (null when it has it).</summary>
    public string? NotApplicableBecause { get; }

    public bool IsSupported => Value != null;

    public static Ability<T> Of(T value) => new(value ?? throw new ArgumentNullException(nameof(value)), null);

    public static Ability<T> NotApplicable(string why) =>
        string.IsNullOrWhiteSpace(why) ? throw new ArgumentException("say why the ability does not apply", nameof(why)) : new(null, why);
}

/// <summary>Shorthands so descriptors read `RestoreTest = Supported(new …)` / `NotApplicable("why")`.</summary>
public static class Ability
{
    public static Ability<T> Of<T>(T value) where T : class => Ability<T>.Of(value);
}

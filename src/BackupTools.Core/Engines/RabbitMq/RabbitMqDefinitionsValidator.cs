using System.Text.Json.Nodes;
using BackupTools.Core.Errors;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.RabbitMq;

/// <summary>The data is a definitions document holding as many objects of each kind as the manifest recorded.</summary>
public sealed class RabbitMqDefinitionsValidator : IContentValidator
{
    public string Name => "definitions";

    public string Validate(Stream raw, BackupManifest manifest)
    {
        JsonObject definitions;
        try { definitions = JsonNode.Parse(raw) as JsonObject ?? throw new BackupIntegrityException("RabbitMqDefinitionsInvalid", $"backup {manifest.Id} does not hold a JSON object."); }
        catch (System.Text.Json.JsonException e) { throw new BackupIntegrityException("RabbitMqDefinitionsInvalid", $"backup {manifest.Id} is not valid JSON: {e.Message}", inner: e); }
        var counts = RabbitMqDefinitions.Counts(definitions);
        if (manifest.EngineInfo?["objects"] is JsonObject recorded)
            foreach (var (kind, count) in counts)
                if (recorded[kind]?.GetValue<int>() is { } expected && expected != count)
                    throw new BackupIntegrityException("RabbitMqDefinitionsInvalid", $"backup {manifest.Id} holds {count} {kind}, its manifest recorded {expected}.");
        return string.Join(", ", counts.Where(c => c.Value > 0).Select(c => $"{c.Value} {c.Key}")) + "; messages are not part of definitions";
    }
}

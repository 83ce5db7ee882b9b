using System.Globalization;

namespace RealTimeDistributor.Testing;

/// <summary>
/// The settings of a host that RtdSystem, rtd-lab demo and rtd-lab chaos give a central controller, a distributor or a
/// client, typed once: each record produces the host's configuration keys, in configuration form ("Section:Key", for a
/// host run in-process) or environment form ("Section__Key", for a host run as a process). Optional ones left unset are
/// not written (the host's default holds).
/// </summary>
public abstract record HostSettings
{
    /// <summary>The keys in configuration form, the unset ones left out.</summary>
    protected abstract IEnumerable<KeyValuePair<string, string>> Keys();

    /// <summary>Writes the keys (configuration form) into <paramref name="settings"/>, replacing any there; returns it.</summary>
    public Dictionary<string, string?> AddTo(Dictionary<string, string?> settings)
    {
        foreach (var (key, value) in Keys())
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>Writes the keys (environment form) into <paramref name="environment"/>, replacing any there; returns it.</summary>
    public Dictionary<string, string> AddToEnvironment(Dictionary<string, string> environment)
    {
        foreach (var (key, value) in Keys())
        {
            environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        return environment;
    }
}

/// <summary>A central controller: its database, and where its real-time activity comes from.</summary>
public sealed record CentralHostSettings(string ConnectionString) : HostSettings
{
    /// <summary>RealTime:Simulate.</summary>
    public bool? Simulate { get; init; }

    /// <summary>RealTime:Source (gateways, simulation, off).</summary>
    public string? RealTimeSource { get; init; }

    protected override IEnumerable<KeyValuePair<string, string>> Keys()
    {
        yield return new("ConnectionStrings:Central", ConnectionString);
        if (Simulate is { } simulate)
        {
            yield return new("RealTime:Simulate", simulate ? "true" : "false");
        }
        if (RealTimeSource is { } source)
        {
            yield return new("RealTime:Source", source);
        }
    }
}

/// <summary>A site's distributor (instance <see cref="Instance"/>, else the host's default) and its replica database.</summary>
public sealed record DistributorHostSettings(string Site, string ReplicaConnectionString) : HostSettings
{
    public string? Instance { get; init; }

    protected override IEnumerable<KeyValuePair<string, string>> Keys()
    {
        yield return new("Distributor:Site", Site);
        if (Instance is { } instance)
        {
            yield return new("Distributor:Instance", instance);
        }
        yield return new("ConnectionStrings:Replica", ReplicaConnectionString);
    }
}

/// <summary>A client workstation of a site, its bindings (none: the host's default) and its queue's bound.</summary>
public sealed record ClientHostSettings(string Site, string Workstation) : HostSettings
{
    public IReadOnlyList<string> Bindings { get; init; } = [];

    /// <summary>Client:QueueMaxLength.</summary>
    public int? QueueMaxLength { get; init; }

    protected override IEnumerable<KeyValuePair<string, string>> Keys()
    {
        yield return new("Client:Site", Site);
        yield return new("Client:Workstation", Workstation);
        if (QueueMaxLength is { } length)
        {
            yield return new("Client:QueueMaxLength", length.ToString(CultureInfo.InvariantCulture));
        }
        for (var i = 0; i < Bindings.Count; i++)
        {
            yield return new($"Client:Bindings:{i}", Bindings[i]);
        }
    }
}

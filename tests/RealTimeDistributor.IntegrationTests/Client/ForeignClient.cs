using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RealTimeDistributor.Central.RealTime;
using RealTimeDistributor.Contracts;
using RealTimeDistributor.Hosting;
using RealTimeDistributor.IntegrationTests.Support;
using RealTimeDistributor.Testing;

namespace RealTimeDistributor.IntegrationTests.Client;

/// <summary>
/// foreign_client.py (the Python workstation of docs/wire-format.md) run by a test as a workstation's own broker user: its
/// output lines as they come, a wait for a line, and its end. Arguments: those of the script after site and workstation.
/// </summary>
public sealed class ForeignClient : IDisposable
{
    private readonly Process _python;
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, int Count, TaskCompletionSource Seen)> _waits = [];
    private readonly Task<string> _errors;

    private ForeignClient(Process python)
    {
        _python = python;
        _python.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (_lines)
            {
                _lines.Add(e.Data);
                foreach (var (match, count, seen) in _waits.Where(w => w.Match(e.Data) && _lines.Count(w.Match) >= w.Count))
                {
                    seen.TrySetResult();
                }
            }
        };
        _errors = _python.StandardError.ReadToEndAsync();
        _python.BeginOutputReadLine();
    }

    public static ForeignClient Start(string site, string workstation, RoleCredentials user, params string[] arguments)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Client", "foreign_client.py");
        var start = new ProcessStartInfo("/usr/bin/python3", [script, site, workstation, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        TestSettings.SetBrokerEnvironment(start);
        // as the workstation's own broker user (roles.conf), not the tests' full-rights one: what a real workstation gets
        start.Environment["RTD_RABBITMQ_USER"] = user.User;
        start.Environment["RTD_RABBITMQ_PASSWORD"] = user.Password;
        return new ForeignClient(Process.Start(start)!);
    }

    /// <summary>The name its broker connection carries (client property connection_name).</summary>
    public static string ConnectionName(string site, string workstation) => $"rtd {site} client {workstation} (python)";

    public string[] Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public int ExitCode => _python.ExitCode;

    /// <summary>
    /// Completes once it has printed <paramref name="count"/> lines that <paramref name="match"/> accepts (counting those
    /// printed before); fails if it ends first.
    /// </summary>
    public async Task LineAsync(Func<string, bool> match, TimeSpan timeout, string what, int count = 1)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (_lines.Count(match) >= count)
            {
                return;
            }
            _waits.Add((match, count, seen));
        }
        await Task.WhenAny(seen.Task, _python.WaitForExitAsync()).WaitAsync(timeout);
        if (!seen.Task.IsCompleted)
        {
            Assert.Fail($"the python client ended (exit {_python.ExitCode}) before {what}: {string.Join('\n', Lines)}\n{await _errors}");
        }
    }

    /// <summary>Waits until it exits by itself (the test fails if it has not within <paramref name="timeout"/>); returns its exit code.</summary>
    public async Task<int> EndsAsync(TimeSpan timeout, Func<Task<string>> context)
    {
        await Task.WhenAny(_python.WaitForExitAsync(), Task.Delay(timeout));
        if (!_python.HasExited)
        {
            Assert.Fail($"python did not end within {timeout}: {string.Join('\n', Lines)}\n{await context()}");
        }
        return _python.ExitCode;
    }

    /// <summary>Waits until it exits by itself; then its exit code must be 0.</summary>
    public async Task SucceedsAsync(TimeSpan timeout, Func<Task<string>> context)
    {
        var exit = await EndsAsync(timeout, context);
        Assert.True(exit == 0, $"python exited {exit}: {string.Join('\n', Lines)}\n{await _errors}\n{await context()}");
    }

    /// <summary>The JSON after "<paramref name="prefix"/> " of each line that starts with it.</summary>
    public List<JsonElement> Prefixed(string prefix) =>
        [.. Lines.Where(l => l.StartsWith(prefix + " ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l[(prefix.Length + 1)..]).RootElement)];

    /// <summary>The site messages it printed (one JSON object a line, but the summary and the lost-connection notes).</summary>
    public List<JsonElement> Messages() =>
        [.. Lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).Where(m => m.TryGetProperty("kind", out _))];

    /// <summary>Its final line: {"summary": ..., "view": ...}.</summary>
    public JsonElement Summary() => JsonDocument.Parse(Assert.Single(Lines, l => l.StartsWith("{\"summary\"", StringComparison.Ordinal))).RootElement;

    public void Dispose()
    {
        if (!_python.HasExited)
        {
            _python.Kill();
        }
        _python.Dispose();
    }
}

/// <summary>
/// A test of <see cref="ForeignClient"/> on a running site: skill group 11 ("Support") in the replica before the Python
/// client starts (its snapshot holds it), then the client started as its workstation's own broker user, ready.
/// </summary>
public abstract class ForeignClientTest : SystemTest
{
    protected override bool StartsDistributor => true;

    protected async Task<ForeignClient> StartPythonAsync(string workstation, params string[] arguments)
    {
        await SeedPeripheralAsync();
        await PutAsync("skillgroup", 11, new { name = "Support", peripheralId = 1 });
        await Eventually.Until(() => Rtd.QueryReplicaAsync<long>(Site, "SELECT count(*) FROM skillgroup WHERE id = 11"), n => n == 1,
            "skill group 11 in the replica");
        var users = await CreateRoleUsersAsync([Site], workstations: [(Site, workstation)]);
        var python = ForeignClient.Start(Site, workstation, users.For("workstation", Site, workstation), arguments);
        try
        {
            await python.LineAsync(l => l == "ready", TimeSpan.FromSeconds(30), "it was ready");
            return python;
        }
        catch
        {
            python.Dispose();
            throw;
        }
    }

    /// <summary>The center publishes live skill-group rows <paramref name="keys"/> at <paramref name="version"/>, <paramref name="ready"/> agents ready.</summary>
    protected Task PublishSkillGroupsAsync(long version, int ready, bool fullRefresh, params string[] keys) =>
        Rtd.Central.Services.GetRequiredService<RealTimePublisher>().PublishAsync(RealTimeTables.SkillGroup,
            [.. keys.Select(key => new RealTimeRow(key, version, DateTimeOffset.UtcNow, Json.ToElement(new { agentsReady = ready, agentsTalking = 0, agentsNotReady = 0 })))],
            fullRefresh, CancellationToken.None);
}

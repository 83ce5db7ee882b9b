using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using System.Text;
using RealTimeDistributor.Testing;
using RealTimeDistributor.Tools;

namespace RealTimeDistributor.Lab;

/// <summary>
/// `rtd-lab bench`: runs the pipeline benchmarks as their own process (the benchmark project of the repository this
/// rtd-lab was built in, built in rtd-lab's own configuration, so no benchmark code ships in rtd-lab) and has them
/// write the report to --out (default bench/results). The benchmark build is made once: when it is missing or older
/// than a source file of src/ or bench/ (older than the build or than rtd-lab's last build of it). The benchmarks make vhosts, users and databases of their own, so they log in
/// as the README's administrators (<see cref="Logins"/>), never as the tests' `rtd` broker user. Exit code: the
/// benchmark process's (1 when a benchmark failed), 2 for an unknown name or a missing credential, 3 / 4 when the
/// broker's management API does not answer / refuses the admin login.
/// </summary>
internal static class BenchCommand
{
    public const string Project = "bench/RealTimeDistributor.PipelineBenchmarks";

    public static async Task<int> RunAsync(Options options)
    {
        var quick = options.Flag("quick");
        var root = Repository.Root()
            ?? throw new CommandFailedException("rtd-lab bench runs the benchmark project of its repository: use an rtd-lab built in the repository");
        var environment = Logins(name => Environment.GetEnvironmentVariable(name));
        await CheckAdminLoginAsync(environment);
        var dll = await BuiltAsync(root);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = root };
        string[] arguments = [dll, .. options.Positional, .. quick ? ["--quick"] : Array.Empty<string>(),
            "--report", Path.GetFullPath(options["out"] ?? Path.Combine(root, "bench", "results"))];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        Console.WriteLine($"rtd-lab bench: dotnet {string.Join(' ', arguments)} (broker user {environment["RTD_RABBITMQ_USER"]}, database user {environment["RTD_POSTGRES_USER"]})");
        using var process = Process.Start(start) ?? throw new CommandFailedException("could not start dotnet");
        await process.WaitForExitAsync();
        return process.ExitCode == 64 ? ExitCodes.Usage : process.ExitCode; // its "unknown benchmark" is bad input, as rtd-lab's
    }

    /// <summary>
    /// The benchmark process's logins, from the variables infra/env.sh sets: the broker's admin user
    /// (RTD_RABBITMQ_ADMIN_USER, default rtd-admin, and RTD_RABBITMQ_ADMIN_PASSWORD) for both AMQP and the management API,
    /// and the database user that may create databases (RTD_POSTGRES_USER, default rtd, and RTD_POSTGRES_PASSWORD). A
    /// missing password is one line naming its variable (exit code 2).
    /// </summary>
    public static Dictionary<string, string> Logins(Func<string, string?> variable)
    {
        string Get(string name, string? fallback, string why) =>
            variable(name) is { Length: > 0 } value ? value
            : fallback ?? throw new UsageException($"{name} is not set: {why}; `source infra/env.sh` sets the local demo's");
        var admin = Get("RTD_RABBITMQ_ADMIN_USER", "rtd-admin", "");
        var database = Get("RTD_POSTGRES_USER", "rtd", "");
        var adminPassword = Get("RTD_RABBITMQ_ADMIN_PASSWORD", null,
            $"the benchmarks declare vhosts and users of their own as the broker's admin user {admin} (RTD_RABBITMQ_ADMIN_USER) and need its password");
        var databasePassword = Get("RTD_POSTGRES_PASSWORD", null,
            $"the benchmarks create databases of their own as the database user {database} (RTD_POSTGRES_USER) and need its password");
        return new()
        {
            // the benchmarks' fixtures connect as RTD_RABBITMQ_USER (in the tests, the tests' own full-rights user)
            ["RTD_RABBITMQ_USER"] = admin,
            ["RTD_RABBITMQ_PASSWORD"] = adminPassword,
            ["RTD_RABBITMQ_ADMIN_USER"] = admin,
            ["RTD_RABBITMQ_ADMIN_PASSWORD"] = adminPassword,
            ["RTD_POSTGRES_USER"] = database,
            ["RTD_POSTGRES_PASSWORD"] = databasePassword,
        };
    }

    /// <summary>The admin login at the broker's management API, before a build and a run that would fail on it.</summary>
    private static async Task CheckAdminLoginAsync(Dictionary<string, string> logins)
    {
        var url = $"http://{TestSettings.RabbitHost}:{TestSettings.RabbitManagementPort}/api/whoami";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{logins["RTD_RABBITMQ_ADMIN_USER"]}:{logins["RTD_RABBITMQ_ADMIN_PASSWORD"]}")));
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException)
        {
            throw new Tools.UnreachableException($"the broker's management API at {url} does not answer ({exception.Message}): are the services up (infra/services-up.sh)?");
        }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new LoginRefusedException($"the broker's management API at {url} refuses user '{logins["RTD_RABBITMQ_ADMIN_USER"]}': check RTD_RABBITMQ_ADMIN_PASSWORD");
            }
        }
    }

    /// <summary>
    /// The benchmark build in rtd-lab's own configuration (Release when installed by infra/install-cli.sh), built first when
    /// it is missing or older than a source file.
    /// </summary>
    private static async Task<string> BuiltAsync(string root)
    {
        var configuration = typeof(BenchCommand).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        var framework = $"net{Environment.Version.Major}.{Environment.Version.Minor}";
        var dll = Path.Combine(root, Project, "bin", configuration, framework, "RealTimeDistributor.PipelineBenchmarks.dll");
        // a build that changed nothing leaves the dll's time as it was: the stamp is when rtd-lab last built it
        var stamp = Path.Combine(Path.GetDirectoryName(dll)!, "rtd-lab-bench.built");
        var built = File.Exists(dll) ? new[] { File.GetLastWriteTimeUtc(dll), File.GetLastWriteTimeUtc(stamp) }.Max() : DateTime.MinValue;
        var newer = new[] { "src", "bench" }.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs*", SearchOption.AllDirectories))
            .FirstOrDefault(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && File.GetLastWriteTimeUtc(file) > built);
        if (newer is null)
        {
            return dll;
        }
        Console.WriteLine(File.Exists(dll)
            ? $"rtd-lab bench: building the benchmarks ({configuration}): {Path.GetRelativePath(root, newer)} is newer than the build"
            : $"rtd-lab bench: building the benchmarks ({configuration}) once");
        var start = new ProcessStartInfo("dotnet", ["build", Project, "-c", configuration, "-nologo", "-v", "quiet"]) { WorkingDirectory = root };
        using var build = Process.Start(start) ?? throw new CommandFailedException("could not start dotnet");
        await build.WaitForExitAsync();
        if (build.ExitCode == 0)
        {
            await File.WriteAllTextAsync(stamp, "written by rtd-lab bench after a build of the benchmarks\n");
        }
        return build.ExitCode == 0 ? dll : throw new CommandFailedException($"the benchmark build failed (dotnet build {Project} -c {configuration}, exit code {build.ExitCode})");
    }
}

using Microsoft.Extensions.Options;
using Serilog;
using Serilog.Events;

namespace RealTimeDistributor.Hosting;

/// <summary>
/// The entry point every host shares: a bootstrap logger first, then the host, wrapped so that bad configuration
/// and unreachable services end the process with one clear line (exit 2 and 3) instead of a stack trace.
/// </summary>
public static class HostRunner
{
    public const int ConfigurationError = 2;
    public const int ServiceUnreachable = 3;

    public static async Task<int> RunAsync(string process, Func<Task> run)
    {
        Log.Logger = new LoggerConfiguration()
            .Enrich.WithProperty("Process", process)
            .Enrich.WithProperty("Site", "-")
            .WriteTo.Console(outputTemplate: ServiceDefaults.ConsoleTemplate, standardErrorFromLevel: LogEventLevel.Error)
            .CreateBootstrapLogger();
        try
        {
            await run();
            return 0;
        }
        catch (Exception exception) when (Unwrap(exception) is InvalidConfigurationException or OptionsValidationException)
        {
            Log.Fatal("{Process} cannot start: {Problem}", process, Unwrap(exception).Message);
            return ConfigurationError;
        }
        catch (Exception exception) when (Unwrap(exception) is ServiceUnreachableException)
        {
            Log.Fatal("{Process} cannot start: {Problem}", process, Unwrap(exception).Message);
            return ServiceUnreachable;
        }
        catch (Exception exception)
        {
            Log.Fatal(exception, "{Process} stopped on an unexpected error", process);
            return 1;
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }
    }

    private static Exception Unwrap(Exception exception) =>
        exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? Unwrap(aggregate.InnerException!) : exception;
}

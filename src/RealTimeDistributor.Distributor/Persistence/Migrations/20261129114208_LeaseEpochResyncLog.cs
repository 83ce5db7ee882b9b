using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace RealTimeDistributor.Distributor.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class LeaseEpochResyncLog : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "epoch",
                table: "sync_state",
                type: "bigint",
                nullable: false,
                defaultValueSql: "(extract(epoch FROM clock_timestamp()) * 1000)::bigint");

            migrationBuilder.AddColumn<string>(
                name: "holder",
                table: "sync_state",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "lease_expires_at",
                table: "sync_state",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "stream_id",
                table: "sync_state",
                type: "uuid",
                nullable: false,
                defaultValueSql: "gen_random_uuid()");

            migrationBuilder.CreateTable(
                name: "resync_log",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false),
                    watermark = table.Column<long>(type: "bigint", nullable: false),
                    rows = table.Column<long>(type: "bigint", nullable: false),
                    initial_load = table.Column<bool>(type: "boolean", nullable: false),
                    epoch = table.Column<long>(type: "bigint", nullable: false),
                    instance = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_resync_log", x => x.id);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "resync_log");

            migrationBuilder.DropColumn(
                name: "epoch",
                table: "sync_state");

            migrationBuilder.DropColumn(
                name: "holder",
                table: "sync_state");

            migrationBuilder.DropColumn(
                name: "lease_expires_at",
                table: "sync_state");

            migrationBuilder.DropColumn(
                name: "stream_id",
                table: "sync_state");
        }
    }
}

using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace RealTimeDistributor.Distributor.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "calltype",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    service_level_seconds = table.Column<int>(type: "integer", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_calltype", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "config_apply_log",
                columns: table => new
                {
                    central_sequence = table.Column<long>(type: "bigint", nullable: false),
                    site_sequence = table.Column<long>(type: "bigint", nullable: false),
                    table = table.Column<string>(type: "text", nullable: false),
                    operation = table.Column<string>(type: "text", nullable: false),
                    key = table.Column<string>(type: "text", nullable: false),
                    applied_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_config_apply_log", x => x.central_sequence);
                });

            migrationBuilder.CreateTable(
                name: "peripheral",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    kind = table.Column<string>(type: "text", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_peripheral", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "realtime_row",
                columns: table => new
                {
                    table_name = table.Column<string>(type: "text", nullable: false),
                    key = table.Column<string>(type: "text", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false),
                    central_updated_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    data = table.Column<string>(type: "jsonb", nullable: false),
                    applied_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_realtime_row", x => new { x.table_name, x.key });
                });

            migrationBuilder.CreateTable(
                name: "realtime_table_state",
                columns: table => new
                {
                    table_name = table.Column<string>(type: "text", nullable: false),
                    last_update_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    last_full_refresh_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_realtime_table_state", x => x.table_name);
                });

            migrationBuilder.CreateTable(
                name: "routingscript",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    revision = table.Column<int>(type: "integer", nullable: false),
                    body = table.Column<string>(type: "text", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_routingscript", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "sync_state",
                columns: table => new
                {
                    site = table.Column<string>(type: "text", nullable: false),
                    applied_config_sequence = table.Column<long>(type: "bigint", nullable: false),
                    site_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sync_state", x => x.site);
                });

            migrationBuilder.CreateTable(
                name: "agent",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    peripheral_id = table.Column<long>(type: "bigint", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_agent", x => x.id);
                    table.ForeignKey(
                        name: "FK_agent_peripheral_peripheral_id",
                        column: x => x.peripheral_id,
                        principalTable: "peripheral",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "service",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    peripheral_id = table.Column<long>(type: "bigint", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_service", x => x.id);
                    table.ForeignKey(
                        name: "FK_service_peripheral_peripheral_id",
                        column: x => x.peripheral_id,
                        principalTable: "peripheral",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "skillgroup",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    name = table.Column<string>(type: "text", nullable: false),
                    peripheral_id = table.Column<long>(type: "bigint", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_skillgroup", x => x.id);
                    table.ForeignKey(
                        name: "FK_skillgroup_peripheral_peripheral_id",
                        column: x => x.peripheral_id,
                        principalTable: "peripheral",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "skillgroupmember",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false),
                    agent_id = table.Column<long>(type: "bigint", nullable: false),
                    skill_group_id = table.Column<long>(type: "bigint", nullable: false),
                    config_sequence = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_skillgroupmember", x => x.id);
                    table.ForeignKey(
                        name: "FK_skillgroupmember_agent_agent_id",
                        column: x => x.agent_id,
                        principalTable: "agent",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_skillgroupmember_skillgroup_skill_group_id",
                        column: x => x.skill_group_id,
                        principalTable: "skillgroup",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_agent_name",
                table: "agent",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_agent_peripheral_id",
                table: "agent",
                column: "peripheral_id");

            migrationBuilder.CreateIndex(
                name: "IX_calltype_name",
                table: "calltype",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_peripheral_name",
                table: "peripheral",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_routingscript_name",
                table: "routingscript",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_service_name",
                table: "service",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_service_peripheral_id",
                table: "service",
                column: "peripheral_id");

            migrationBuilder.CreateIndex(
                name: "IX_skillgroup_name",
                table: "skillgroup",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_skillgroup_peripheral_id",
                table: "skillgroup",
                column: "peripheral_id");

            migrationBuilder.CreateIndex(
                name: "IX_skillgroupmember_agent_id_skill_group_id",
                table: "skillgroupmember",
                columns: new[] { "agent_id", "skill_group_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_skillgroupmember_skill_group_id",
                table: "skillgroupmember",
                column: "skill_group_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "calltype");

            migrationBuilder.DropTable(
                name: "config_apply_log");

            migrationBuilder.DropTable(
                name: "realtime_row");

            migrationBuilder.DropTable(
                name: "realtime_table_state");

            migrationBuilder.DropTable(
                name: "routingscript");

            migrationBuilder.DropTable(
                name: "service");

            migrationBuilder.DropTable(
                name: "skillgroupmember");

            migrationBuilder.DropTable(
                name: "sync_state");

            migrationBuilder.DropTable(
                name: "agent");

            migrationBuilder.DropTable(
                name: "skillgroup");

            migrationBuilder.DropTable(
                name: "peripheral");
        }
    }
}

# Two functions with line information, in one compilation unit, for
# line_gap_host.c; compiled by tests/symbolize_test.cpp, not by CMake.
# Linked with --sort-section=name, line_gap_host.c's b_no_lines (built
# without -g) lands between them, in a gap of this unit's address ranges.
# The ".loc ... view" after a_with_lines's last instruction adds a line row
# at the end of the unit's first range, as GCC's output sometimes has, and
# libdwfl (elfutils 0.188) then gives addresses in the gap that row's line 7.
	.file 1 "line_gap.c"
	.section	.text.a_with_lines,"ax",@progbits
	.globl	a_with_lines
	.type	a_with_lines, @function
a_with_lines:
	.cfi_startproc
	.loc 1 3 0
	subq	$8, %rsp
	.cfi_def_cfa_offset 16
	call	pause@PLT
	addq	$8, %rsp
	.cfi_def_cfa_offset 8
	ret
	.loc 1 7 0 view .LVU1
	.cfi_endproc
	.size	a_with_lines, .-a_with_lines

	.section	.text.c_with_lines,"ax",@progbits
	.globl	c_with_lines
	.type	c_with_lines, @function
c_with_lines:
	.cfi_startproc
	.loc 1 10 0
	subq	$8, %rsp
	.cfi_def_cfa_offset 16
	call	b_no_lines
	.loc 1 11 0
	addq	$8, %rsp
	.cfi_def_cfa_offset 8
	ret
	.cfi_endproc
	.size	c_with_lines, .-c_with_lines
	.section	.note.GNU-stack,"",@progbits

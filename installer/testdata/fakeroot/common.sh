# Sourced by the stand-ins: the fake account files and the call log.
: "${DPKG_ROOT:?the stand-ins need DPKG_ROOT}"
passwd="$DPKG_ROOT/etc/passwd"
group="$DPKG_ROOT/etc/group"
owners="$DPKG_ROOT/.owners"
mkdir -p "$DPKG_ROOT/etc"
touch "$passwd" "$group" "$owners"
echo "$(basename "$0") $*" >>"$DPKG_ROOT/.calls"

has_user() { grep -q "^$1:" "$passwd"; }
has_group() { grep -q "^$1:" "$group"; }
next_id() { echo $((1000 + $(wc -l <"$passwd") + $(wc -l <"$group"))); }
# set_members GROUP MEMBERS rewrites the group's member list.
set_members() {
	awk -F: -v OFS=: -v g="$1" -v m="$2" '$1 == g { $4 = m } { print }' "$group" >"$group.new" && mv "$group.new" "$group"
}
members() { awk -F: -v g="$1" '$1 == g { print $4 }' "$group"; }
# own PATH USER GROUP records an owner after checking both exist.
own() {
	[ "$2" = root ] || has_user "$2" || { echo "$(basename "$0"): invalid user: '$2'" >&2; exit 1; }
	[ "$3" = root ] || has_group "$3" || { echo "$(basename "$0"): invalid group: '$3'" >&2; exit 1; }
	echo "$1 $2:$3" >>"$owners"
}
